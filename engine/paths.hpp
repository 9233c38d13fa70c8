// Where Obrol keeps its files, per OS. Pure apart from reading the environment; any thread.
#pragma once

#include <filesystem>

namespace obrol::engine {

// The server's data folder: $XDG_DATA_HOME/obrol (~/.local/share/obrol) on Linux,
// %APPDATA%\Obrol on Windows, ~/Library/Application Support/Obrol on macOS.
std::filesystem::path DefaultDataDir();

// The user's identity key (see engine/identity.hpp): $XDG_CONFIG_HOME/obrol/identity.pem
// (~/.config/obrol/identity.pem) on Linux, %APPDATA%\Obrol\identity.pem on Windows,
// ~/Library/Application Support/Obrol/identity.pem on macOS.
std::filesystem::path DefaultIdentityPath();

} // namespace obrol::engine
