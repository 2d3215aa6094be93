// Compressed inputs (issue 14, part 4): SAT competition files come as
// .cnf.gz, .cnf.bz2 and .cnf.xz. The format is detected by its magic bytes,
// never by the name, as CaDiCaL does; the decompressed size counts against
// the reader's limit and is checked while inflating, so a small file that
// expands past it (a zip bomb) is refused before it fills memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sethkit {

enum class Compression { none, gzip, bzip2, xz };

// From the first bytes: gzip 1f 8b, bzip2 "BZh", xz fd "7zXZ" 00.
Compression detect_compression(std::string_view bytes);
const char* to_string(Compression c);

// `bytes` decompressed (all concatenated streams); unchanged when not
// compressed. InputError naming `name` for corrupt or truncated data and
// when the output would pass max_bytes.
std::string decompress(std::string bytes, const std::string& name, int64_t max_bytes);

}  // namespace sethkit
