// Outputs appear whole or not at all (DESIGN.md "Standards"): write to a
// temporary name beside the target, flush, then rename over it. A failure or
// a kill mid-write leaves at most the temporary, never a partial target.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace sethkit {

// Calls write(out) on a temporary file next to `path`, then renames it to
// `path`. On any exception the temporary is removed and the error rethrown.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write,
                           bool binary = false);

}  // namespace sethkit
