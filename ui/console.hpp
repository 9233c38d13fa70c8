// Headless front ends: the server logs to stdout and takes admin commands on stdin; the
// client prints one line (or JSON object) per event and takes chat lines on stdin.
// Both run on the main thread; a helper thread only reads stdin.
#pragma once

#include "ui/options.hpp"

#include <string>

namespace obrol::ui {

int RunHeadlessServer(const Options& options);
int RunHeadlessClient(const Options& options);

// JSON string literal for `text` (quotes included), escaping as RFC 8259 requires.
std::string JsonString(const std::string& text);

} // namespace obrol::ui
