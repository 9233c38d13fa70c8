// Where Obrol keeps its files, per OS. Pure apart from reading the environment; any thread.
#pragma once

#include <filesystem>

namespace obrol::engine {

// The server's data folder: $XDG_DATA_HOME/obrol (~/.local/share/obrol) on Linux,
// %APPDATA%\Obrol on Windows, ~/Library/Application Support/Obrol on macOS.
std::filesystem::path DefaultDataDir();

} // namespace obrol::engine
