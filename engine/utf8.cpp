#include "engine/utf8.hpp"

namespace obrol::engine {

char32_t NextCodepoint(std::string_view s, std::size_t& i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80)
    {
        ++i;
        return c;
    }
    int extra = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; min = 0x10000; }
    else
    {
        ++i;
        return 0xFFFD;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size())
    {
        ++i;
        return 0xFFFD;
    }
    for (int k = 1; k <= extra; ++k)
    {
        const unsigned char cc = byte(i + static_cast<std::size_t>(k));
        if ((cc & 0xC0) != 0x80)
        {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    {
        ++i;
        return 0xFFFD;
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

bool IsValidUtf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size())
    {
        const std::size_t before = i;
        const char32_t cp = NextCodepoint(s, i);
        // U+FFFD itself is fine when it was really encoded (3 bytes)
        if (cp == 0xFFFD && i - before != 3)
            return false;
    }
    return true;
}

std::size_t CodepointCount(std::string_view s)
{
    std::size_t i = 0, n = 0;
    while (i < s.size())
    {
        NextCodepoint(s, i);
        ++n;
    }
    return n;
}

std::string FoldCase(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

static bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp < 0xA0); }

static bool IsSpace(char32_t cp)
{
    return cp == ' ' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

// The rules nicknames and room names share; `what` names the thing in the reason ("a nickname").
static std::string NameProblem(std::string_view name, const std::string& what, bool room)
{
    if (name.empty())
        return what + " cannot be empty";
    if (!IsValidUtf8(name))
        return what + " must be valid UTF-8";
    std::size_t count = 0;
    for (std::size_t i = 0; i < name.size();)
    {
        const char32_t cp = NextCodepoint(name, i);
        if (IsControl(cp))
            return what + " cannot contain control characters";
        if (IsSpace(cp))
            return what + " cannot contain spaces";
        if (room && (cp == '#' || cp == ',' || cp == ':'))
            return what + " cannot contain " + static_cast<char>(cp);
        ++count;
    }
    if (count > 32)
        return what + " can have at most 32 characters";
    if (!room && name.front() == '#')
        return what + " cannot start with #";
    return {};
}

std::string NicknameProblem(std::string_view nick) { return NameProblem(nick, "a nickname", false); }

std::string RoomNameProblem(std::string_view room) { return NameProblem(room, "a room name", true); }

std::string CleanMessageText(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();)
    {
        const std::size_t start = i;
        const char32_t cp = NextCodepoint(text, i);
        if (cp == '\r')
            continue;
        const bool invalid = cp == 0xFFFD && i - start != 3;
        if (invalid || (IsControl(cp) && cp != '\n' && cp != '\t'))
            out += "\xEF\xBF\xBD";
        else
            out.append(text.substr(start, i - start));
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\t'))
        out.pop_back();
    return out;
}

} // namespace obrol::engine
