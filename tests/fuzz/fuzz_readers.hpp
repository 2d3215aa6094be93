// One entry point per reader for fuzzing (issue 9): the DIMACS, kOV, MaxIP,
// .npy and manifest.json readers. A reader may refuse its input only with
// InputError or SizeLimitError; any other exception, a crash, or a
// sanitizer report is a bug. Inputs a reader accepts are also written back
// and read again, and must come back equal (the writers and readers agree).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sethkit::fuzz {

// The targets: "dimacs", "kov", "maxip", "npy", "manifest".
bool is_target(std::string_view target);

// Runs one input through the named reader. Returns normally when the reader
// accepted or refused the input as it should; throws std::logic_error (or
// lets an unexpected exception through) when it did not.
void run_one(std::string_view target, const uint8_t* data, std::size_t size);

}  // namespace sethkit::fuzz
