// The chain for Python (issue 15 part 4): plan and reduce on
// reductions/chain.hpp (the one place that composes the reductions), and the
// command line in process (tools/cli.hpp) for solve and verify, whose dicts
// are then exactly the --json documents of the command line.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "problems/attention_instance.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "python/bindings/bindings.hpp"
#include "reductions/chain.hpp"
#include "tools/cli.hpp"
#include "tools/reduce.hpp"
#include "tools/subprocess.hpp"

namespace py = pybind11;

namespace sethkit::python {
namespace {

using reductions::Level;

reductions::Route make_route(const std::string& to, int k, const std::string& route, const std::string& code,
                             double soundness, double eps, const std::string& backend) {
  reductions::Route r;
  const reductions::LevelAndRoute target = reductions::parse_target(to, route);
  r.to = target.level;
  r.route = target.route;
  r.k = k;
  r.code = code;
  r.target_soundness = soundness;
  r.attention_eps = eps;
  r.backend = backend;
  r.explicit_gap_maxip = r.to == Level::gap_maxip;
  return r;
}

py::dict stage_dict(const reductions::StageSize& s) {
  py::dict d;
  d["stage"] = reductions::to_string(s.stage);
  d["vectors"] = s.vectors;
  d["dimension"] = s.dimension;
  if (s.implicit_dimension > 0) d["implicit_dimension"] = s.implicit_dimension;
  d["bytes"] = s.bytes;
  d["exact"] = s.exact;
  return d;
}

py::dict plan_dict(const reductions::ChainPlan& plan) {
  py::dict d;
  d["to"] = reductions::to_string(plan.route.to);
  d["k"] = plan.route.k;
  d["route"] = reductions::to_string(plan.route.route);
  py::list groups;
  for (std::size_t p = 0; p < plan.split.size.size(); ++p)
    groups.append(py::make_tuple(plan.split.first_var[p], plan.split.first_var[p] + plan.split.size[p] - 1));
  d["variable_groups"] = groups;
  py::list stages;
  for (const auto& s : plan.stages) stages.append(stage_dict(s));
  d["stages"] = stages;
  d["total_bytes"] = plan.total_bytes();
  d["exact"] = plan.exact();
  if (plan.protocol) {
    d["code"] = plan.protocol->code;
    d["field_size"] = plan.protocol->field_size;
    d["blocks"] = plan.protocol->blocks;
    d["positions"] = plan.protocol->positions;
    d["merlin_messages"] = plan.merlin_messages;
  }
  return d;
}

// A built chain and the level the user asked for: what sethkit.reduce returns.
struct ChainInstance {
  std::shared_ptr<reductions::Chain> chain;
  Level level = Level::kov;
};

// The 0/1 (kOV) or integer (MaxIP) vectors of party p as a (n_p, d) array.
py::array party_array(const ChainInstance& self, int p, bool packed) {
  const reductions::Chain& c = *self.chain;
  if (self.level == Level::kov) {
    if (p < 0 || p >= c.kov.k) throw InputError("", "party " + std::to_string(p) + " is not in 0.." + std::to_string(c.kov.k - 1));
    const PackedVectors& v = c.kov.parties[std::size_t(p)];
    if (packed) {
      py::array_t<std::uint64_t> out({py::ssize_t(v.size()), py::ssize_t(v.words())});
      for (std::size_t i = 0; i < v.size(); ++i)
        std::copy(v.row(i), v.row(i) + v.words(), out.mutable_data() + i * v.words());
      return out;
    }
    py::array_t<std::uint8_t> out({py::ssize_t(v.size()), py::ssize_t(v.dimension())});
    auto w = out.mutable_unchecked<2>();
    for (std::size_t i = 0; i < v.size(); ++i)
      for (int j = 0; j < v.dimension(); ++j) w(py::ssize_t(i), j) = v.bit(i, j);
    return out;
  }
  if (!c.maxip) throw InputError("", "a " + std::string(reductions::to_string(self.level)) + " instance has no vector parties");
  const MaxIpInstance& m = *c.maxip;
  if (p < 0 || p >= m.k) throw InputError("", "party " + std::to_string(p) + " is not in 0.." + std::to_string(m.k - 1));
  const IntVectors& v = m.parties[std::size_t(p)];
  py::array_t<std::int32_t> out({py::ssize_t(v.size()), py::ssize_t(v.dimension())});
  for (std::size_t i = 0; i < v.size(); ++i)
    std::copy(v.row(i), v.row(i) + v.dimension(), out.mutable_data() + i * std::size_t(v.dimension()));
  return out;
}

py::array matrix_array(const DenseMatrix& m, py::handle owner) {
  return py::array_t<double>({py::ssize_t(m.rows), py::ssize_t(m.cols)}, m.data.data(), owner);
}

const AttentionInstance& attention_of(const ChainInstance& self) {
  if (self.level != Level::attention || !self.chain->attention)
    throw InputError("", "a " + std::string(reductions::to_string(self.level)) + " instance has no attention arrays");
  return self.chain->attention->instance;
}

// sethkit._run_cli: one command line in process, its standard output and
// error captured. One at a time: std::cout and std::cerr are process-wide.
py::tuple run_cli(const std::vector<std::string>& args) {
  static std::mutex one_at_a_time;
  std::ostringstream out, err;
  int code = 0;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(one_at_a_time);
    std::vector<std::string> argv_strings = {"sethkit"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
    std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
    try {
      code = tools::run_cli(int(argv_strings.size()), argv.data());
    } catch (...) {
      std::cout.rdbuf(old_out);
      std::cerr.rdbuf(old_err);
      throw;
    }
    std::cout.flush();
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
  }
  return py::make_tuple(code, out.str(), err.str());
}

}  // namespace

void bind_chain(py::module_& m) {
  m.def(
      "_plan",
      [](const Cnf& cnf, const std::string& to, int k, const std::string& route, const std::string& code,
         double soundness, double eps, const std::string& backend, double max_bytes) {
        reductions::ChainPlan plan;
        {
          py::gil_scoped_release release;
          plan = reductions::plan_chain(cnf, make_route(to, k, route, code, soundness, eps, backend), max_bytes);
        }
        return plan_dict(plan);
      },
      py::arg("cnf"), py::arg("to"), py::arg("k"), py::arg("route"), py::arg("code"), py::arg("soundness"),
      py::arg("eps"), py::arg("backend"), py::arg("max_bytes"));

  py::class_<ChainInstance>(m, "_ChainInstance")
      .def_property_readonly("level", [](const ChainInstance& s) { return reductions::to_string(s.level); })
      .def_property_readonly("k", [](const ChainInstance& s) { return s.chain->plan.route.k; })
      .def_property_readonly("plan", [](const ChainInstance& s) { return plan_dict(s.chain->plan); })
      .def_property_readonly("built", [](const ChainInstance& s) {
        py::list l;
        for (const auto& st : s.chain->built) l.append(stage_dict(st));
        return l;
      })
      .def("party", &party_array, py::arg("p"), py::arg("packed") = false)
      .def_property_readonly("gap", [](const ChainInstance& s) -> py::object {
        if (s.level == Level::kov || !s.chain->maxip || !s.chain->maxip->gap) return py::none();
        return py::make_tuple(s.chain->maxip->gap->threshold, s.chain->maxip->gap->no_bound);
      })
      .def_property_readonly("q", [](py::object self) {
        return matrix_array(attention_of(self.cast<const ChainInstance&>()).q, self);
      })
      .def_property_readonly("keys", [](py::object self) {
        py::list l;
        for (const auto& k : attention_of(self.cast<const ChainInstance&>()).keys) l.append(matrix_array(k, self));
        return l;
      })
      .def_property_readonly("values", [](py::object self) {
        py::list l;
        for (const auto& v : attention_of(self.cast<const ChainInstance&>()).values) l.append(matrix_array(v, self));
        return l;
      })
      .def_property_readonly("manifest", [](const ChainInstance& s) {
        return to_python(manifest_to_json(attention_of(s)));
      })
      .def_property_readonly("embedding", [](const ChainInstance& s) {
        const ChainInstance& self = s;
        attention_of(self);
        const auto& e = *self.chain->attention;
        py::dict d;
        d["beta"] = e.beta;
        d["entry_bound"] = e.entry_bound;
        d["paper_entry_bound"] = e.paper_entry_bound;
        d["log_threshold"] = e.log_threshold;
        d["log_o_yes_min"] = e.log_o_yes_min;
        d["log_o_no_max"] = e.log_o_no_max;
        d["eps_a"] = e.eps_a;
        return d;
      })
      .def("map_back", [](const ChainInstance& s, const std::vector<std::size_t>& witness) {
        return s.chain->map_back(s.level, witness);
      }, py::arg("witness"))
      .def("inner_product", [](const ChainInstance& s, const std::vector<std::size_t>& tuple) -> long long {
        if (s.level == Level::kov) return s.chain->kov.inner_product(tuple);
        if (!s.chain->maxip) throw InputError("", "no explicit vectors at this level");
        return s.chain->maxip->inner_product(tuple);
      }, py::arg("tuple"));

  m.def(
      "_reduce",
      [](const Cnf& cnf, const std::string& to, int k, const std::string& route, const std::string& code,
         double soundness, double eps, const std::string& backend, double max_bytes) {
        ChainInstance out;
        {
          py::gil_scoped_release release;
          const reductions::Route r = make_route(to, k, route, code, soundness, eps, backend);
          if (r.to == Level::sat) throw InputError("", "to = 'sat' is the CNF itself; reduce to kov, maxip, gap-maxip or attention");
          out.chain = std::make_shared<reductions::Chain>(reductions::build_chain(reductions::plan_chain(cnf, r, max_bytes)));
          out.level = r.to;
        }
        return out;
      },
      py::arg("cnf"), py::arg("to"), py::arg("k"), py::arg("route"), py::arg("code"), py::arg("soundness"),
      py::arg("eps"), py::arg("backend"), py::arg("max_bytes"));

  m.def(
      "_save",
      [](ChainInstance& self, const std::string& path, bool binary, const std::string& route, const std::string& code,
         double soundness, double eps, const std::string& source, const std::string& dimacs) {
        tools::ReduceOptions o;
        o.file = source;
        o.to = reductions::to_string(self.level);
        o.route = route;
        o.k = self.chain->plan.route.k;
        o.output = path;
        o.binary = binary;
        o.eps = eps;
        o.code = code;
        o.soundness = soundness;
        const std::string hash = dimacs.empty() ? tools::fnv1a64_of_file(source) : tools::fnv1a64_of_text(dimacs);
        py::gil_scoped_release release;
        return tools::write_reduction(o, *self.chain, hash);
      },
      py::arg("instance"), py::arg("path"), py::arg("binary"), py::arg("route"), py::arg("code"),
      py::arg("soundness"), py::arg("eps"), py::arg("source"), py::arg("dimacs"));
  m.def("_set_executable", &tools::set_self_executable, py::arg("path"),
        "Names the sethkit executable that verify and sweep start for their child runs.");
  m.def("_run_cli", &run_cli, py::arg("args"),
        "Runs one `sethkit` command line in process: (exit code, stdout, stderr).");
}

}  // namespace sethkit::python
