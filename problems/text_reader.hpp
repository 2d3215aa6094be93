// A line-oriented tokenizer for the text formats (DIMACS, kOV, MaxIP). It
// knows the current line so every error reads "FILE:LINE: expected ...", and
// parses integers with the overflow check before the multiply (CaDiCaL's
// parse.cpp habit). Binary bytes in a token are reported as hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sethkit {

class TextReader {
 public:
  TextReader(std::string_view text, std::string name);

  // True when the input holds nothing but whitespace.
  bool at_end_of_file() const;
  // Moves to the next line; false at the end of the input.
  bool next_line();
  int64_t line_number() const { return line_number_; }
  // First non-blank character of the current line is `c`.
  bool line_starts_with(char c) const;
  bool at_end_of_line();  // skips blanks first

  // The next token on the line (after blanks), not consumed; empty at the
  // end of the line. column() is its 1-based column.
  std::string_view peek_word();
  int64_t column() const { return static_cast<int64_t>(pos_ - line_begin_) + 1; }

  std::string word(const std::string& expectation);
  void expect_word(const std::string& w);
  // Decimal integer with optional '-', |value| < 2^62.
  int64_t integer(const std::string& expectation);
  void expect_end_of_line(const std::string& context);

  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void fail_at(int64_t line, const std::string& message) const;
  const std::string& name() const { return name_; }

 private:
  void skip_blanks();
  std::string_view peek_token() const;

  std::string_view text_;
  std::string name_;
  std::size_t line_begin_ = 0;
  std::size_t line_end_ = 0;
  std::size_t pos_ = 0;
  std::size_t next_line_begin_ = 0;
  int64_t line_number_ = 0;
};

// Printable rendering of a token for messages ("\x00" for binary bytes).
std::string quote_token(std::string_view token);

// Reads a whole file (problems/input_file.hpp: a regular file, or standard
// input for "-"); InputError when it cannot be opened, is not a regular file
// or is larger than max_bytes (checked before reading).
std::string read_text_file(const std::string& path, int64_t max_bytes);

}  // namespace sethkit
