#include "problems/text_reader.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/errors.hpp"
#include "problems/input_file.hpp"

namespace sethkit {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

TextReader::TextReader(std::string_view text, std::string name)
    : text_(text), name_(std::move(name)) {}

bool TextReader::at_end_of_file() const {
  for (char c : text_)
    if (!is_blank(c) && c != '\n') return false;
  return true;
}

bool TextReader::next_line() {
  if (next_line_begin_ >= text_.size()) return false;
  line_begin_ = next_line_begin_;
  const std::size_t nl = text_.find('\n', line_begin_);
  line_end_ = nl == std::string_view::npos ? text_.size() : nl;
  next_line_begin_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  pos_ = line_begin_;
  ++line_number_;
  return true;
}

bool TextReader::line_starts_with(char c) const {
  std::size_t p = line_begin_;
  while (p < line_end_ && is_blank(text_[p])) ++p;
  return p < line_end_ && text_[p] == c;
}

void TextReader::skip_blanks() {
  while (pos_ < line_end_ && is_blank(text_[pos_])) ++pos_;
}

bool TextReader::at_end_of_line() {
  skip_blanks();
  return pos_ >= line_end_;
}

std::string_view TextReader::peek_token() const {
  std::size_t e = pos_;
  while (e < line_end_ && !is_blank(text_[e])) ++e;
  return text_.substr(pos_, e - pos_);
}

std::string_view TextReader::peek_word() {
  skip_blanks();
  return peek_token();
}

std::string TextReader::word(const std::string& expectation) {
  if (at_end_of_line()) fail("expected " + expectation + ", found the end of the line");
  const std::string_view tok = peek_token();
  pos_ += tok.size();
  return std::string(tok);
}

void TextReader::expect_word(const std::string& w) {
  const std::string got = word("'" + w + "'");
  if (got != w) fail("expected '" + w + "', found " + quote_token(got));
}

int64_t TextReader::integer(const std::string& expectation) {
  if (at_end_of_line()) fail("expected " + expectation + ", found the end of the line");
  const std::string_view tok = peek_token();
  std::size_t i = 0;
  const bool negative = tok[0] == '-';
  if (negative) ++i;
  if (i >= tok.size()) fail("expected " + expectation + ", found " + quote_token(tok));
  constexpr int64_t kMax = int64_t(1) << 62;
  int64_t value = 0;
  for (; i < tok.size(); ++i) {
    const char c = tok[i];
    if (c < '0' || c > '9') fail("expected " + expectation + ", found " + quote_token(tok));
    if (value > (kMax - (c - '0')) / 10) fail("number " + quote_token(tok) + " is too large");
    value = value * 10 + (c - '0');
  }
  pos_ += tok.size();
  return negative ? -value : value;
}

void TextReader::expect_end_of_line(const std::string& context) {
  if (!at_end_of_line()) fail("unexpected " + quote_token(peek_token()) + " " + context);
}

void TextReader::fail(const std::string& message) const { fail_at(line_number_, message); }

void TextReader::fail_at(int64_t line, const std::string& message) const {
  // Line 0 means "before any line" (an empty file): name the file alone.
  throw InputError(line > 0 ? name_ + ":" + std::to_string(line) : name_, message);
}

std::string quote_token(std::string_view token) {
  constexpr std::size_t kShown = 32;
  std::string out = "'";
  for (std::size_t i = 0; i < token.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (token.size() > kShown) out += "...";
  out += "'";
  bool binary = false;
  for (char c : token) binary |= static_cast<unsigned char>(c) < 0x20;
  if (binary) out += " (binary data?)";
  return out;
}

std::string read_text_file(const std::string& path, int64_t max_bytes) {
  return read_input_bytes(path, max_bytes, true);
}

}  // namespace sethkit
