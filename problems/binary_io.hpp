// Little-endian fixed-width fields for the binary instance formats (kOV,
// MaxIP): the same bytes on every machine.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace sethkit::binary_io {

template <typename T>
void put_le(std::ostream& out, T value) {
  const auto v = static_cast<uint64_t>(value);
  unsigned char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  out.write(reinterpret_cast<const char*>(b), sizeof(T));
}

// Requires offset + sizeof(T) <= bytes.size() (callers check the file size first).
template <typename T>
T get_le(const std::string& bytes, std::size_t offset) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v |= uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return static_cast<T>(v);
}

}  // namespace sethkit::binary_io
