// Tensor attention for NumPy arrays (issue 15 part 2): the forward of any
// registered backend and the exact backward from dO, over a leading batch
// dimension. The Python layer (sethkit/_attention.py) folds any leading
// dimensions into one and checks shapes; here every input is (B, n, d).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/gradient.hpp"
#include "core/errors.hpp"
#include "python/bindings/bindings.hpp"

namespace py = pybind11;

namespace sethkit::python {
namespace {

using attention::Precision;

template <class T>
using Array = py::array_t<T, py::array::c_style>;

// One (n, d) slice of a (B, n, d) array, as a DenseMatrix.
template <class T>
DenseMatrix slice(const Array<T>& a, py::ssize_t b) {
  DenseMatrix m(std::size_t(a.shape(1)), std::size_t(a.shape(2)));
  const T* src = a.data() + b * a.shape(1) * a.shape(2);
  for (std::size_t i = 0; i < m.data.size(); ++i) m.data[i] = double(src[i]);
  return m;
}

struct CallOptions {
  std::string backend;
  std::optional<double> scale;
  std::optional<std::pair<long long, long long>> window;
  std::optional<double> eps;
  Precision precision = Precision::float64;
  int threads = 0;
  double max_bytes = 0;
};

template <class T>
AttentionInstance instance_at(const Array<T>& q, const std::vector<Array<T>>& keys,
                              const std::vector<Array<T>>& values, py::ssize_t b, const CallOptions& o) {
  std::vector<DenseMatrix> k, v;
  for (const auto& a : keys) k.push_back(slice(a, b));
  for (const auto& a : values) v.push_back(slice(a, b));
  AttentionInstance inst = make_attention_instance(slice(q, b), std::move(k), std::move(v));
  if (o.scale) inst.scale = *o.scale;
  return inst;
}

attention::ExactOptions exact_options(const CallOptions& o) {
  attention::ExactOptions e;
  e.scale = o.scale;
  if (o.window) e.window = attention::CausalWindow{o.window->first, o.window->second};
  e.precision = o.precision;
  e.threads = o.threads;
  e.max_bytes = o.max_bytes;
  return e;
}

template <class T>
py::tuple forward(const Array<T>& q, const std::vector<Array<T>>& keys, const std::vector<Array<T>>& values,
                  const CallOptions& o) {
  const py::ssize_t batch = q.shape(0), n_q = q.shape(1);
  const py::ssize_t d_v = values.empty() ? 0 : values[0].shape(2);
  Array<T> out({batch, n_q, d_v});
  py::array_t<double> log_d({batch, n_q});
  T* out_p = out.mutable_data();
  double* log_d_p = log_d.mutable_data();
  {
    py::gil_scoped_release release;
    for (py::ssize_t b = 0; b < batch; ++b) {
      const AttentionInstance inst = instance_at(q, keys, values, b, o);
      const attention::AttentionOutput r = attention::exact_attention(inst, exact_options(o));
      for (std::size_t i = 0; i < r.o.size(); ++i) out_p[b * n_q * d_v + py::ssize_t(i)] = T(r.o[i]);
      for (std::size_t i = 0; i < r.log_d.size(); ++i) log_d_p[b * n_q + py::ssize_t(i)] = r.log_d[i];
    }
  }
  py::dict report;
  report["backend"] = o.backend;
  return py::make_tuple(out, log_d, report);
}

template <class T>
py::tuple backward(const Array<T>& q, const std::vector<Array<T>>& keys, const std::vector<Array<T>>& values,
                   const Array<T>& d_out, const CallOptions& o) {
  const py::ssize_t batch = q.shape(0);
  Array<T> d_q({batch, q.shape(1), q.shape(2)});
  std::vector<Array<T>> d_keys, d_values;
  for (const auto& a : keys) d_keys.emplace_back(std::vector<py::ssize_t>{batch, a.shape(1), a.shape(2)});
  for (const auto& a : values) d_values.emplace_back(std::vector<py::ssize_t>{batch, a.shape(1), a.shape(2)});
  std::vector<T*> dk_p, dv_p;
  for (auto& a : d_keys) dk_p.push_back(a.mutable_data());
  for (auto& a : d_values) dv_p.push_back(a.mutable_data());
  T* dq_p = d_q.mutable_data();
  {
    py::gil_scoped_release release;
    attention::GradientOptions g;
    g.scale = o.scale;
    g.threads = o.threads;
    for (py::ssize_t b = 0; b < batch; ++b) {
      const AttentionInstance inst = instance_at(q, keys, values, b, o);
      // 0.5 ||O - E||^2 has dLoss/dO = O - E: with E = O - dO it is dO.
      const attention::AttentionOutput fwd = attention::exact_attention(inst, exact_options(o));
      DenseMatrix target = slice(d_out, b);
      for (std::size_t i = 0; i < target.data.size(); ++i) target.data[i] = fwd.o[i] - target.data[i];
      const attention::AttentionGradient r = attention::exact_attention_gradient(inst, target, g);
      auto copy = [b](const DenseMatrix& m, T* dst) {
        for (std::size_t i = 0; i < m.data.size(); ++i) dst[b * py::ssize_t(m.data.size()) + py::ssize_t(i)] = T(m.data[i]);
      };
      copy(r.d_q, dq_p);
      for (std::size_t p = 0; p < r.d_keys.size(); ++p) copy(r.d_keys[p], dk_p[p]);
      for (std::size_t p = 0; p < r.d_values.size(); ++p) copy(r.d_values[p], dv_p[p]);
    }
  }
  return py::make_tuple(d_q, d_keys, d_values);
}

CallOptions call_options(const std::string& backend, std::optional<double> scale,
                         std::optional<std::pair<long long, long long>> window, std::optional<double> eps,
                         const std::string& precision, int threads, std::optional<double> max_bytes) {
  CallOptions o;
  o.backend = backend;
  o.scale = scale;
  o.window = window;
  o.eps = eps;
  if (precision == "float") o.precision = Precision::float32;
  else if (precision == "double") o.precision = Precision::float64;
  else throw InputError("", "precision '" + precision + "' is not float or double");
  o.threads = threads;
  o.max_bytes = max_bytes.value_or(attention::kExactMaxBytes);
  return o;
}

}  // namespace

void bind_attention(py::module_& m) {
  m.def("_backends", [] {
    py::list out;
    py::dict exact;
    exact["name"] = "exact";
    out.append(exact);
    return out;
  });
  m.def(
      "_attention_forward",
      [](py::array q, std::vector<py::array> keys, std::vector<py::array> values, const std::string& backend,
         std::optional<double> scale, std::optional<std::pair<long long, long long>> window, std::optional<double> eps,
         const std::string& precision, int threads, std::optional<double> max_bytes) -> py::tuple {
        const CallOptions o = call_options(backend, scale, window, eps, precision, threads, max_bytes);
        auto run = [&](auto tag) {
          using T = decltype(tag);
          std::vector<Array<T>> k, v;
          for (auto& a : keys) k.push_back(Array<T>::ensure(a));
          for (auto& a : values) v.push_back(Array<T>::ensure(a));
          return forward<T>(Array<T>::ensure(q), k, v, o);
        };
        if (py::isinstance<py::array_t<float>>(q)) return run(float{});
        return run(double{});
      },
      py::arg("q"), py::arg("keys"), py::arg("values"), py::arg("backend"), py::arg("scale"), py::arg("window"),
      py::arg("eps"), py::arg("precision"), py::arg("threads"), py::arg("max_bytes"));
  m.def(
      "_attention_backward",
      [](py::array q, std::vector<py::array> keys, std::vector<py::array> values, py::array d_out,
         std::optional<py::array> /*logd*/, std::optional<double> scale,
         std::optional<std::pair<long long, long long>> window, const std::string& precision, int threads,
         std::optional<double> max_bytes) -> py::tuple {
        const CallOptions o = call_options("exact", scale, window, std::nullopt, precision, threads, max_bytes);
        auto run = [&](auto tag) {
          using T = decltype(tag);
          std::vector<Array<T>> k, v;
          for (auto& a : keys) k.push_back(Array<T>::ensure(a));
          for (auto& a : values) v.push_back(Array<T>::ensure(a));
          return backward<T>(Array<T>::ensure(q), k, v, Array<T>::ensure(d_out), o);
        };
        if (py::isinstance<py::array_t<float>>(q)) return run(float{});
        return run(double{});
      },
      py::arg("q"), py::arg("keys"), py::arg("values"), py::arg("d_out"), py::arg("logd"), py::arg("scale"),
      py::arg("window"),
      py::arg("precision"), py::arg("threads"), py::arg("max_bytes"));
}

}  // namespace sethkit::python
