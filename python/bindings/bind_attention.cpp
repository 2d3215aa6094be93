// Tensor attention for NumPy arrays (issue 15 part 2): the forward of any
// registered backend and the exact backward from dO, over a leading batch
// dimension. The Python layer (sethkit/_attention.py) folds any leading
// dimensions into one and checks shapes; here every input is (B, n, d),
// C-contiguous, of one dtype (float32 or float64).
//
// The exact backend and its backward run on views of the NumPy buffers
// (attention/kernel_core.hpp MatrixView): no input is copied, outputs are
// written in place. Every other backend is found in the registry
// (attention/backend.hpp) and runs on an AttentionInstance per batch
// element (a copy: those backends hold their inputs as double). The GIL is
// released for the whole batch; reports come from BackendReport::to_json.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attention/backend.hpp"
#include "attention/exact_attention.hpp"
#include "attention/exact_backward.hpp"
#include "core/errors.hpp"
#include "python/bindings/bindings.hpp"

namespace py = pybind11;

namespace sethkit::python {
namespace {

using attention::MatrixView;
using attention::MutableMatrixView;

template <class T>
using Array = py::array_t<T, py::array::c_style>;

using Window = std::optional<std::pair<long long, long long>>;

// The (n, d) slice b of a (B, n, d) array.
template <class T>
MatrixView<T> view_at(const Array<T>& a, py::ssize_t b) {
  const auto n = std::size_t(a.shape(1)), d = std::size_t(a.shape(2));
  return {a.data() + std::size_t(b) * n * d, n, d, d};
}
template <class T>
MutableMatrixView<T> mutable_view_at(Array<T>& a, py::ssize_t b) {
  const auto n = std::size_t(a.shape(1)), d = std::size_t(a.shape(2));
  return {a.mutable_data() + std::size_t(b) * n * d, n, d, d};
}

// The inputs of one call as typed (B, n, d) arrays: a view of each NumPy
// array when its dtype is T and it is C-contiguous (the Python layer makes
// sure), a converted copy otherwise.
template <class T>
struct Inputs {
  Array<T> q;
  std::vector<Array<T>> keys, values;
  py::ssize_t batch() const { return q.shape(0); }

  Inputs(const py::array& q_in, const std::vector<py::array>& k_in, const std::vector<py::array>& v_in)
      : q(Array<T>::ensure(q_in)) {
    for (const auto& a : k_in) keys.push_back(Array<T>::ensure(a));
    for (const auto& a : v_in) values.push_back(Array<T>::ensure(a));
    check_batch(q, "q", 3);
    for (const auto& a : keys) check_batch(a, "keys", 3);
    for (const auto& a : values) check_batch(a, "values", 3);
  }
  void check_batch(const Array<T>& a, const char* name, py::ssize_t ndim) const {
    if (!a || a.ndim() != ndim || a.shape(0) != q.shape(0))
      throw InputError("", std::string(name) + ": expected a (batch, n, d) array with the batch of q");
  }
  std::vector<MatrixView<T>> key_views(py::ssize_t b) const {
    std::vector<MatrixView<T>> v;
    for (const auto& a : keys) v.push_back(view_at(a, b));
    return v;
  }
  std::vector<MatrixView<T>> value_views(py::ssize_t b) const {
    std::vector<MatrixView<T>> v;
    for (const auto& a : values) v.push_back(view_at(a, b));
    return v;
  }
};

attention::ExactOptions exact_options(std::optional<double> scale, const Window& window, int threads,
                                      std::optional<double> max_bytes) {
  attention::ExactOptions e;
  e.scale = scale;
  if (window) e.window = attention::CausalWindow{window->first, window->second};
  e.threads = threads;
  e.max_bytes = max_bytes.value_or(attention::kExactMaxBytes);
  return e;
}

attention::Precision precision_of(std::size_t bytes) {
  return bytes == 4 ? attention::Precision::float32 : attention::Precision::float64;
}

// The report of a batch: the first element's, with the largest bounds and
// the total time over the batch.
void merge_report(attention::BackendReport& total, const attention::BackendReport& one, bool first) {
  if (first) {
    total = one;
    return;
  }
  total.error_bound = std::max(total.error_bound, one.error_bound);
  total.log_d_bound = std::max(total.log_d_bound, one.log_d_bound);
  total.seconds += one.seconds;
}

template <class T>
AttentionInstance instance_at(const Inputs<T>& in, py::ssize_t b) {
  auto dense = [](const MatrixView<T>& v) {
    DenseMatrix m(v.rows, v.cols);
    for (std::size_t i = 0; i < v.rows; ++i)
      for (std::size_t c = 0; c < v.cols; ++c) m(i, c) = double(v.row(i)[c]);
    return m;
  };
  std::vector<DenseMatrix> keys, values;
  for (const auto& v : in.key_views(b)) keys.push_back(dense(v));
  for (const auto& v : in.value_views(b)) values.push_back(dense(v));
  AttentionInstance inst = make_attention_instance(dense(view_at(in.q, b)), std::move(keys), std::move(values));
  inst.precision = sizeof(T) == 4 ? NpyDtype::float32 : NpyDtype::float64;
  return inst;
}

template <class T>
py::tuple registry_forward_batch(const Inputs<T>& in, const attention::Backend& backend,
                                 const attention::BackendOptions& options) {
  const py::ssize_t batch = in.batch(), n_q = in.q.shape(1);
  const py::ssize_t d_v = in.values.empty() ? 0 : in.values[0].shape(2);
  Array<T> out({batch, n_q, d_v});
  py::array_t<double> log_d({batch, n_q});
  T* out_p = out.mutable_data();
  double* log_d_p = log_d.mutable_data();
  attention::BackendReport report;
  {
    py::gil_scoped_release release;
    for (py::ssize_t b = 0; b < batch; ++b) {
      const attention::BackendResult r = backend.run(instance_at(in, b), options);
      std::copy(r.out.o.begin(), r.out.o.end(), out_p + b * n_q * d_v);
      std::copy(r.out.log_d.begin(), r.out.log_d.end(), log_d_p + b * n_q);
      merge_report(report, r.report, b == 0);
    }
  }
  py::dict dict = to_python(report.to_json());
  dict["batch"] = batch;
  return py::make_tuple(out, log_d, dict);
}

template <class T>
py::tuple exact_forward_batch(const Inputs<T>& in, const attention::ExactOptions& options) {
  const py::ssize_t batch = in.batch(), n_q = in.q.shape(1);
  const py::ssize_t d_v = in.values.empty() ? 0 : in.values[0].shape(2);
  Array<T> out({batch, n_q, d_v});
  py::array_t<double> log_d({batch, n_q});
  double* log_d_p = log_d.mutable_data();
  double seconds = 0;
  {
    py::gil_scoped_release release;
    const auto start = std::chrono::steady_clock::now();
    for (py::ssize_t b = 0; b < batch; ++b)
      attention::exact_forward<T>(view_at(in.q, b), in.key_views(b), in.value_views(b), options,
                                  mutable_view_at(out, b), log_d_p + b * n_q);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  // The exact backend's report, as the registry's exact backend writes it.
  attention::BackendReport report;
  report.backend = "exact";
  report.k = int(in.keys.size()) + 1;
  report.n = {std::size_t(n_q)};
  for (const auto& a : in.keys) report.n.push_back(std::size_t(a.shape(1)));
  report.d = std::size_t(in.q.shape(2));
  report.d_v = std::size_t(d_v);
  report.scale = options.scale.value_or(1.0 / double(report.d));
  report.precision = precision_of(sizeof(T));
  report.window = options.window;
  report.seconds = seconds;
  py::dict dict = to_python(report.to_json());
  dict["batch"] = batch;
  return py::make_tuple(out, log_d, dict);
}

template <class T>
py::tuple exact_backward_batch(const Inputs<T>& in, const py::array& d_out_in, const std::optional<py::array>& log_d_in,
                               const std::optional<py::array>& o_in, const attention::BackwardOptions& options) {
  const py::ssize_t batch = in.batch(), n_q = in.q.shape(1);
  const Array<T> d_out = Array<T>::ensure(d_out_in);
  in.check_batch(d_out, "grad_out", 3);
  std::optional<py::array_t<double, py::array::c_style>> log_d;
  if (log_d_in) {
    log_d = py::array_t<double, py::array::c_style>::ensure(*log_d_in);
    if (!*log_d || log_d->ndim() != 2 || log_d->shape(0) != batch || log_d->shape(1) != n_q)
      throw InputError("", "logd: expected (batch, n_q) log D values from the forward");
  }
  std::optional<Array<T>> o;
  if (o_in) {
    o = Array<T>::ensure(*o_in);
    in.check_batch(*o, "o", 3);
  }
  Array<T> d_q({batch, n_q, in.q.shape(2)});
  std::vector<Array<T>> d_keys, d_values;
  for (const auto& a : in.keys) d_keys.emplace_back(std::vector<py::ssize_t>{batch, a.shape(1), a.shape(2)});
  for (const auto& a : in.values) d_values.emplace_back(std::vector<py::ssize_t>{batch, a.shape(1), a.shape(2)});
  {
    py::gil_scoped_release release;
    for (py::ssize_t b = 0; b < batch; ++b) {
      std::vector<MutableMatrixView<T>> dk, dv;
      for (auto& a : d_keys) dk.push_back(mutable_view_at(a, b));
      for (auto& a : d_values) dv.push_back(mutable_view_at(a, b));
      attention::exact_backward<T>(view_at(in.q, b), in.key_views(b), in.value_views(b), view_at(d_out, b),
                                   log_d ? log_d->data() + b * n_q : nullptr, options, mutable_view_at(d_q, b), dk,
                                   dv, o ? view_at(*o, b) : MatrixView<T>{});
    }
  }
  return py::make_tuple(d_q, d_keys, d_values, 0.0);
}

// The gradient of a registry backend (poly: the polynomial method's gradient
// with its certified bounds) from dO: the backends take a target E with
// dLoss/dO = O~ - E, so E = O~ - dO with O~ the backend's own forward.
template <class T>
py::tuple registry_backward_batch(const Inputs<T>& in, const py::array& d_out_in, const attention::Backend& backend,
                                  const attention::BackendOptions& options) {
  const py::ssize_t batch = in.batch();
  const Array<T> d_out = Array<T>::ensure(d_out_in);
  in.check_batch(d_out, "grad_out", 3);
  Array<T> d_q({batch, in.q.shape(1), in.q.shape(2)});
  std::vector<Array<T>> d_keys, d_values;
  for (const auto& a : in.keys) d_keys.emplace_back(std::vector<py::ssize_t>{batch, a.shape(1), a.shape(2)});
  for (const auto& a : in.values) d_values.emplace_back(std::vector<py::ssize_t>{batch, a.shape(1), a.shape(2)});
  double bound = 0;
  {
    py::gil_scoped_release release;
    auto copy = [](const DenseMatrix& m, const MutableMatrixView<T>& dst) {
      for (std::size_t i = 0; i < m.rows; ++i)
        for (std::size_t c = 0; c < m.cols; ++c) dst.row(i)[c] = T(m(i, c));
    };
    for (py::ssize_t b = 0; b < batch; ++b) {
      const AttentionInstance inst = instance_at(in, b);
      const attention::BackendResult fwd = backend.run(inst, options);
      DenseMatrix target(fwd.out.rows, fwd.out.cols);
      const MatrixView<T> g = view_at(d_out, b);
      for (std::size_t i = 0; i < target.rows; ++i)
        for (std::size_t c = 0; c < target.cols; ++c) target(i, c) = fwd.out.o[i * target.cols + c] - double(g.row(i)[c]);
      const attention::GradientResult r = backend.gradient(inst, target, options);
      bound = std::max(bound, r.error_bound);
      copy(r.gradient.d_q, mutable_view_at(d_q, b));
      for (std::size_t p = 0; p < d_keys.size(); ++p) copy(r.gradient.d_keys[p], mutable_view_at(d_keys[p], b));
      for (std::size_t p = 0; p < d_values.size(); ++p) copy(r.gradient.d_values[p], mutable_view_at(d_values[p], b));
    }
  }
  return py::make_tuple(d_q, d_keys, d_values, bound);
}

// Runs f<float> or f<double> by the dtype of q (the Python layer gives every
// input the same dtype).
template <class F>
auto by_dtype(const py::array& q, F&& f) {
  if (py::isinstance<py::array_t<float>>(q)) return f(float{});
  return f(double{});
}

}  // namespace

void bind_attention(py::module_& m) {
  m.def("_backends", [] {
    py::list out;
    for (const attention::Backend* b : attention::backends()) {
      const attention::BackendCapabilities c = b->capabilities();
      py::dict d;
      d["name"] = b->name();
      d["summary"] = c.summary;
      d["min_k"] = c.min_k;
      d["max_k"] = c.max_k == 0 ? py::object(py::none()) : py::object(py::int_(c.max_k));
      d["windows"] = c.windows;
      d["float32"] = c.float32;
      d["float64"] = c.float64;
      d["gradient"] = c.gradient;
      d["approximate"] = c.approximate;
      out.append(d);
    }
    return out;
  });
  m.def(
      "_attention_forward",
      [](const py::array& q, const std::vector<py::array>& keys, const std::vector<py::array>& values,
         const std::string& backend_name, std::optional<double> scale, const Window& window,
         std::optional<double> eps, const std::string& precision, int threads,
         std::optional<double> max_bytes) -> py::tuple {
        const attention::Backend& backend = attention::find_backend(backend_name);
        if (eps && !backend.capabilities().approximate)
          throw InputError("", "eps applies to approximate backends; the " + backend_name +
                                   " backend computes the definition (drop eps, or choose an approximate backend)");
        return by_dtype(q, [&](auto tag) {
          using T = decltype(tag);
          const Inputs<T> in(q, keys, values);
          if (backend_name == "exact")
            return exact_forward_batch(in, exact_options(scale, window, threads, max_bytes));
          attention::BackendOptions options;
          options.scale = scale;
          if (window) options.window = attention::CausalWindow{window->first, window->second};
          options.precision = precision == "float" ? attention::Precision::float32 : attention::Precision::float64;
          if (eps) options.eps = *eps;
          options.threads = threads;
          options.max_bytes = max_bytes.value_or(attention::kExactMaxBytes);
          return registry_forward_batch(in, backend, options);
        });
      },
      py::arg("q"), py::arg("keys"), py::arg("values"), py::arg("backend"), py::arg("scale"), py::arg("window"),
      py::arg("eps"), py::arg("precision"), py::arg("threads"), py::arg("max_bytes"));
  m.def(
      "_attention_backward",
      [](const py::array& q, const std::vector<py::array>& keys, const std::vector<py::array>& values,
         const py::array& d_out, const std::optional<py::array>& log_d, const std::optional<py::array>& o,
         std::optional<double> scale, const Window& window, int threads, std::optional<double> max_bytes,
         const std::string& backend_name, std::optional<double> eps) -> py::tuple {
        const attention::Backend& backend = attention::find_backend(backend_name);
        return by_dtype(q, [&](auto tag) -> py::tuple {
          using T = decltype(tag);
          const Inputs<T> in(q, keys, values);
          if (backend_name != "exact") {
            attention::BackendOptions options;
            options.scale = scale;
            if (window) options.window = attention::CausalWindow{window->first, window->second};
            if (eps) options.eps = *eps;
            options.threads = threads;
            options.max_bytes = max_bytes.value_or(attention::kExactMaxBytes);
            return registry_backward_batch(in, d_out, backend, options);
          }
          attention::BackwardOptions options;
          options.scale = scale;
          if (window) options.window = attention::CausalWindow{window->first, window->second};
          options.threads = threads;
          options.max_bytes = max_bytes.value_or(attention::kExactMaxBytes);
          return exact_backward_batch(in, d_out, log_d, o, options);
        });
      },
      py::arg("q"), py::arg("keys"), py::arg("values"), py::arg("d_out"), py::arg("logd"), py::arg("o"),
      py::arg("scale"), py::arg("window"), py::arg("threads"), py::arg("max_bytes"), py::arg("backend") = "exact",
      py::arg("eps") = py::none());
  m.def(
      "_time_exact_forward",
      [](const py::array& q, const std::vector<py::array>& keys, const std::vector<py::array>& values, int repeats) {
        // The C++ library call alone, for bench/bench_python.py: the fastest
        // of `repeats` calls of exact_forward on batch element 0 of the
        // (1, n, d) inputs.
        return by_dtype(q, [&](auto tag) {
          using T = decltype(tag);
          const Inputs<T> in(q, keys, values);
          Array<T> out({py::ssize_t(1), in.q.shape(1), in.values[0].shape(2)});
          std::vector<double> log_d(std::size_t(in.q.shape(1)));
          const attention::ExactOptions options;
          double best = std::numeric_limits<double>::infinity();
          py::gil_scoped_release release;
          for (int r = 0; r < std::max(1, repeats); ++r) {
            const auto start = std::chrono::steady_clock::now();
            attention::exact_forward<T>(view_at(in.q, 0), in.key_views(0), in.value_views(0), options,
                                        mutable_view_at(out, 0), log_d.data());
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
          }
          return best;
        });
      },
      py::arg("q"), py::arg("keys"), py::arg("values"), py::arg("repeats"));
}

}  // namespace sethkit::python
