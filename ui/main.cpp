// Composition root: flags -> the chosen front end. Stays short.
#include "engine/system.hpp"
#include "ui/console.hpp"
#include "ui/options.hpp"

#include <iostream>

#if OBROL_HAS_GUI
#include "ui/gui_app.hpp"
#endif

int main(int argc, char** argv)
{
    using namespace obrol::ui;
    const ParseResult parsed = ParseOptions(argc, argv);
    if (!parsed.options)
        return parsed.exitCode;
    Options options = *parsed.options;
    if (options.client && !LoadIdentity(options)) // once, before any front end: every connection reuses it
        return 1;
    obrol::engine::RaiseOpenFileLimit(); // one socket per client

    if (options.headless)
        return options.server ? RunHeadlessServer(options) : RunHeadlessClient(options);
#if OBROL_HAS_GUI
    if (!HasDisplay())
    {
        std::cerr << "obrol: no display found (DISPLAY/WAYLAND_DISPLAY unset); use --headless\n";
        return 1;
    }
    return RunGui(options);
#else
    std::cerr << "obrol: this build has no GUI; use --headless\n";
    return 1;
#endif
}
