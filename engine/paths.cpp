#include "engine/paths.hpp"

#include <cstdlib>

namespace obrol::engine {

static std::filesystem::path Env(const char* name)
{
    const char* value = std::getenv(name);
    return value && *value ? std::filesystem::path(value) : std::filesystem::path();
}

std::filesystem::path DefaultDataDir()
{
#if defined(_WIN32)
    if (auto appData = Env("APPDATA"); !appData.empty())
        return appData / "Obrol";
    return std::filesystem::path("Obrol");
#elif defined(__APPLE__)
    return Env("HOME") / "Library" / "Application Support" / "Obrol";
#else
    if (auto xdg = Env("XDG_DATA_HOME"); !xdg.empty())
        return xdg / "obrol";
    if (auto home = Env("HOME"); !home.empty())
        return home / ".local" / "share" / "obrol";
    return std::filesystem::path(".obrol");
#endif
}

std::filesystem::path DefaultIdentityPath()
{
#if defined(_WIN32)
    if (auto appData = Env("APPDATA"); !appData.empty())
        return appData / "Obrol" / "identity.pem";
    return std::filesystem::path("Obrol") / "identity.pem";
#elif defined(__APPLE__)
    return Env("HOME") / "Library" / "Application Support" / "Obrol" / "identity.pem";
#else
    if (auto xdg = Env("XDG_CONFIG_HOME"); !xdg.empty())
        return xdg / "obrol" / "identity.pem";
    if (auto home = Env("HOME"); !home.empty())
        return home / ".config" / "obrol" / "identity.pem";
    return std::filesystem::path(".obrol") / "identity.pem";
#endif
}

} // namespace obrol::engine
