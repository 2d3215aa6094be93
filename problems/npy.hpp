// NumPy .npy arrays: the matrices of an attention directory (DESIGN.md "File
// formats"). Only what sethkit needs is accepted, and everything else is
// refused with a message naming the file, what is wrong and how to fix it:
//   - format versions 1.0 and 2.0 (2-byte and 4-byte header length);
//   - dtype float32 or float64, little-endian ('<f4', '<f8');
//   - C order (fortran_order False);
//   - finite entries (NaN and Inf refused unless asked for: log D output may
//     hold -inf for a row with no allowed key).
// The header's shape product is checked against the file size, with overflow
// checked before each multiply, before any data buffer is allocated, so a
// corrupt or hostile header cannot make the reader allocate.
//
//   sethkit::NpyArray a = sethkit::read_npy("dir/Q.npy");    // data as double
//   // a.shape == {n_q, d}; a.data[i * d + c]; a.dtype says float32/float64
//   sethkit::write_npy("out.npy", {n, m}, values.data(), sethkit::NpyDtype::float64);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace sethkit {

enum class NpyDtype { float32, float64 };

const char* to_string(NpyDtype t);               // "float32", "float64"
inline std::size_t npy_item_bytes(NpyDtype t) { return t == NpyDtype::float32 ? 4 : 8; }

// What the header of a .npy file says, plus where the data starts.
struct NpyHeader {
  int major_version = 1;
  NpyDtype dtype = NpyDtype::float64;
  std::vector<std::size_t> shape;  // () is a scalar: one element
  std::size_t data_offset = 0;     // bytes before the first element
  std::size_t count = 1;           // product of shape (checked, no overflow)
};

// An array read from disk: data in C order, widened to double; dtype records
// the precision it had on disk.
struct NpyArray {
  std::vector<std::size_t> shape;
  NpyDtype dtype = NpyDtype::float64;
  std::vector<double> data;
};

struct NpyReadOptions {
  bool allow_non_finite = false;  // accept NaN / +-Inf entries
  // Refuse (SizeLimitError) before allocating when the array, widened to
  // double, would need more bytes than this.
  double max_bytes = double(int64_t(1) << 36);  // 64 GiB
};

struct NpyWriteOptions {
  NpyDtype dtype = NpyDtype::float64;
  // 0: version 1.0 unless the header needs more than 65535 bytes, then 2.0.
  // 1 or 2: that version (tests and interoperability checks).
  int version = 0;
};

// Reads and checks the header only (magic, version, dict, dtype, order,
// shape) and checks the file holds exactly the promised data bytes.
// Throws InputError("PATH: ...").
NpyHeader read_npy_header(const std::string& path);

// Reads a whole file. Throws InputError("PATH: ...") for anything malformed,
// SizeLimitError past options.max_bytes.
NpyArray read_npy(const std::string& path, const NpyReadOptions& options = {});

// Parses an in-memory file; `name` is used in error messages.
NpyArray parse_npy(const std::string& bytes, const std::string& name,
                   const NpyReadOptions& options = {});

// Writes data (C order, product(shape) values) converted to options.dtype.
// Requires product(shape) values at `data`. Float32 output rounds to nearest;
// a finite value beyond float32's range is refused (InputError), not written
// as infinity.
void write_npy(std::ostream& out, const std::vector<std::size_t>& shape, const double* data,
               const NpyWriteOptions& options = {});
// Same, to a file, atomically (temporary name then rename).
void write_npy(const std::string& path, const std::vector<std::size_t>& shape,
               const double* data, const NpyWriteOptions& options = {});

}  // namespace sethkit
