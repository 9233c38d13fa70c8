// UTF-8 validation and nickname and room name rules shared by the codec, server and front ends. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace obrol::engine {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Number of code points in valid UTF-8.
std::size_t CodepointCount(std::string_view text);

// Decodes the code point at `text[i]`, advancing i. Invalid bytes yield U+FFFD.
char32_t NextCodepoint(std::string_view text, std::size_t& i);

// Lower-cases ASCII letters: nicknames compare case-insensitively on this key.
std::string FoldCase(std::string_view text);

// Why a nickname is not acceptable, or an empty string when it is:
// 1-32 code points, valid UTF-8, no control characters, no whitespace, not starting with '#'
// (so a nickname never reads as a room).
std::string NicknameProblem(std::string_view nick);

// Why a room name is not acceptable, or an empty string when it is: the nickname rules (1-32
// code points, valid UTF-8, no control characters, no whitespace), and no '#', ',' or ':'
// anywhere (they separate rooms in commands and log lines).
std::string RoomNameProblem(std::string_view room);

// Replaces control characters except '\n' and '\t' with U+FFFD and trims trailing spaces.
std::string CleanMessageText(std::string_view text);

} // namespace obrol::engine
