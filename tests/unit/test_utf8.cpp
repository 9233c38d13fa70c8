// Unit tests for engine/utf8: validation, code point counting, nickname and room name rules and the
// cleaning applied to message text.
#include "engine/utf8.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace obrol::engine;

namespace {

std::string Repeat(std::string_view piece, int times)
{
    std::string out;
    for (int i = 0; i < times; ++i)
        out += piece;
    return out;
}

const std::string Replacement = "\xEF\xBF\xBD"; // U+FFFD

} // namespace

TEST_SUITE("utf8")
{
    TEST_CASE("IsValidUtf8 accepts well-formed text")
    {
        CHECK(IsValidUtf8(""));
        CHECK(IsValidUtf8("hello, world"));
        CHECK(IsValidUtf8(std::string_view("a\0b", 3)));             // NUL is a valid code point
        CHECK(IsValidUtf8("\x7F"));                                  // U+007F, the last 1-byte
        CHECK(IsValidUtf8("\xC2\x80"));                              // U+0080, the first 2-byte
        CHECK(IsValidUtf8("caf\xC3\xA9"));                           // U+00E9
        CHECK(IsValidUtf8("\xDF\xBF"));                              // U+07FF, the last 2-byte
        CHECK(IsValidUtf8("\xE0\xA0\x80"));                          // U+0800, the first 3-byte
        CHECK(IsValidUtf8("\xE2\x82\xAC"));                          // U+20AC euro sign
        CHECK(IsValidUtf8("\xED\x9F\xBF"));                          // U+D7FF, just below the surrogates
        CHECK(IsValidUtf8("\xEE\x80\x80"));                          // U+E000, just above the surrogates
        CHECK(IsValidUtf8(Replacement));                             // U+FFFD really encoded
        CHECK(IsValidUtf8("\xEF\xBF\xBF"));                          // U+FFFF
        CHECK(IsValidUtf8("\xF0\x90\x80\x80"));                      // U+10000, the first 4-byte
        CHECK(IsValidUtf8("\xF0\x9F\x8E\x89"));                      // U+1F389 party popper
        CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF, the last code point
        CHECK(IsValidUtf8("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E ok")); // Japanese then ASCII
    }

    TEST_CASE("IsValidUtf8 rejects malformed text")
    {
        CHECK_FALSE(IsValidUtf8("\x80"));                     // lone continuation byte
        CHECK_FALSE(IsValidUtf8("a\xBF" "b"));                // continuation byte between letters
        CHECK_FALSE(IsValidUtf8("\xC0\x80"));                 // overlong NUL
        CHECK_FALSE(IsValidUtf8("\xC0\xAF"));                 // overlong '/'
        CHECK_FALSE(IsValidUtf8("\xC1\xBF"));                 // overlong U+007F
        CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));             // overlong, 3 bytes
        CHECK_FALSE(IsValidUtf8("\xE0\x9F\xBF"));             // overlong U+07FF
        CHECK_FALSE(IsValidUtf8("\xF0\x80\x80\x80"));         // overlong, 4 bytes
        CHECK_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));         // overlong U+FFFF
        CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));             // surrogate U+D800
        CHECK_FALSE(IsValidUtf8("\xED\xBF\xBF"));             // surrogate U+DFFF
        CHECK_FALSE(IsValidUtf8("\xED\xA0\xBD\xED\xB2\xA9")); // a CESU-8 surrogate pair
        CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));         // U+110000
        CHECK_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
        CHECK_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));     // 5-byte form
        CHECK_FALSE(IsValidUtf8("\xFC\x84\x80\x80\x80\x80")); // 6-byte form
        CHECK_FALSE(IsValidUtf8("\xFE"));
        CHECK_FALSE(IsValidUtf8("\xFF"));
        CHECK_FALSE(IsValidUtf8("\xC3"));                     // truncated 2-byte
        CHECK_FALSE(IsValidUtf8("\xE2\x82"));                 // truncated 3-byte
        CHECK_FALSE(IsValidUtf8("\xF0\x9F\x8E"));             // truncated 4-byte
        CHECK_FALSE(IsValidUtf8("ok\xC3"));                   // truncated at the end
        CHECK_FALSE(IsValidUtf8("\xC3" "a"));                 // lead byte followed by ASCII
        CHECK_FALSE(IsValidUtf8("\xE2\x28\xA1"));             // bad second byte
        CHECK_FALSE(IsValidUtf8("\xE2\x82\x28"));             // bad third byte
        CHECK_FALSE(IsValidUtf8("valid \xE2\x82\xAC then \x80")); // good text, then a bad byte
    }

    TEST_CASE("CodepointCount counts code points, not bytes")
    {
        CHECK(CodepointCount("") == 0);
        CHECK(CodepointCount("abc") == 3);
        CHECK(CodepointCount("\xC3\xA9") == 1);
        CHECK(CodepointCount("\xE2\x82\xAC") == 1);
        CHECK(CodepointCount("\xF0\x9F\x8E\x89") == 1);
        CHECK(CodepointCount("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8E\x89z") == 5);
        CHECK(CodepointCount(Repeat("\xC3\xA9", 32)) == 32);
        CHECK(CodepointCount(std::string_view("\0\0", 2)) == 2);
    }

    TEST_CASE("NextCodepoint decodes one code point and advances past it")
    {
        const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8E\x89";
        std::size_t i = 0;
        CHECK(NextCodepoint(text, i) == U'a');
        CHECK(i == 1);
        CHECK(NextCodepoint(text, i) == U'\u00E9');
        CHECK(i == 3);
        CHECK(NextCodepoint(text, i) == U'\u20AC');
        CHECK(i == 6);
        CHECK(NextCodepoint(text, i) == U'\U0001F389');
        CHECK(i == text.size());
    }

    TEST_CASE("NextCodepoint yields U+FFFD for an invalid byte and skips only that byte")
    {
        const std::string text = "\x80" "a\xE2\x82";
        std::size_t i = 0;
        CHECK(NextCodepoint(text, i) == 0xFFFD);
        CHECK(i == 1);
        CHECK(NextCodepoint(text, i) == U'a');
        CHECK(i == 2);
        CHECK(NextCodepoint(text, i) == 0xFFFD); // truncated sequence at the end
        CHECK(i == 3);
        CHECK(NextCodepoint(text, i) == 0xFFFD);
        CHECK(i == 4);
    }

    TEST_CASE("NicknameProblem accepts ordinary nicknames")
    {
        CHECK(NicknameProblem("ana") == "");
        CHECK(NicknameProblem("a") == "");
        CHECK(NicknameProblem("Bo_the-2nd.") == "");
        CHECK(NicknameProblem("Z\xC3\xBCrich") == "");
        CHECK(NicknameProblem("\xE6\x97\xA5\xE6\x9C\xAC") == "");
        CHECK(NicknameProblem("\xF0\x9F\x90\xB1") == "");
    }

    TEST_CASE("NicknameProblem rejects an empty nickname")
    {
        CHECK(NicknameProblem("") != "");
    }

    TEST_CASE("NicknameProblem allows 32 code points and rejects 33")
    {
        CHECK(NicknameProblem(std::string(32, 'a')) == "");
        CHECK(NicknameProblem(std::string(33, 'a')).find("32") != std::string::npos);

        CHECK(NicknameProblem(Repeat("\xC3\xA9", 32)) == "");                   // 64 bytes
        CHECK(NicknameProblem(Repeat("\xC3\xA9", 33)).find("32") != std::string::npos);

        CHECK(NicknameProblem(Repeat("\xF0\x9F\x90\xB1", 32)) == "");           // 128 bytes
        CHECK(NicknameProblem(Repeat("\xF0\x9F\x90\xB1", 33)).find("32") != std::string::npos);
    }

    TEST_CASE("NicknameProblem rejects spaces and other whitespace")
    {
        CHECK(NicknameProblem("ana bo") != "");
        CHECK(NicknameProblem(" ana") != "");
        CHECK(NicknameProblem("ana ") != "");
        CHECK(NicknameProblem("ana\tbo") != "");
        CHECK(NicknameProblem("ana\nbo") != "");
        CHECK(NicknameProblem("ana\xC2\xA0" "bo") != "");      // U+00A0 no-break space
        CHECK(NicknameProblem("ana\xE3\x80\x80" "bo") != "");  // U+3000 ideographic space
        CHECK(NicknameProblem("ana\xE2\x80\x8B" "bo") != "");  // U+200B zero-width space
        CHECK(NicknameProblem("\xEF\xBB\xBF" "ana") != "");    // U+FEFF byte order mark
    }

    TEST_CASE("NicknameProblem rejects control characters")
    {
        CHECK(NicknameProblem(std::string_view("a\0b", 3)) != "");
        CHECK(NicknameProblem("a\x01") != "");
        CHECK(NicknameProblem("\x1B[31mred") != "");
        CHECK(NicknameProblem("a\x7F") != "");
        CHECK(NicknameProblem("a\xC2\x85") != ""); // U+0085, a C1 control
        CHECK(NicknameProblem("ana\r") != "");
    }

    TEST_CASE("NicknameProblem rejects invalid UTF-8")
    {
        CHECK(NicknameProblem("ana\xC3").find("UTF-8") != std::string::npos);
        CHECK(NicknameProblem("\xC0\xAF").find("UTF-8") != std::string::npos);
        CHECK(NicknameProblem("\xED\xA0\x80").find("UTF-8") != std::string::npos);
        CHECK(NicknameProblem("\x80").find("UTF-8") != std::string::npos);
    }

    TEST_CASE("NicknameProblem refuses a nickname starting with # but allows # inside")
    {
        CHECK(NicknameProblem("#ana") == "a nickname cannot start with #");
        CHECK(NicknameProblem("#") == "a nickname cannot start with #");
        CHECK(NicknameProblem("ana#2") == "");
        CHECK(NicknameProblem("ana,bo:x") == ""); // only rooms refuse these
    }

    TEST_CASE("RoomNameProblem accepts ordinary room names")
    {
        CHECK(RoomNameProblem("games") == "");
        CHECK(RoomNameProblem("Games_2-b.c") == "");
        CHECK(RoomNameProblem("everyone") == "");
        CHECK(RoomNameProblem("Z\xC3\xBCrich") == "");
        CHECK(RoomNameProblem("\xE6\x97\xA5\xE6\x9C\xAC") == "");
        CHECK(RoomNameProblem(std::string(32, 'r')) == "");
        CHECK(RoomNameProblem(Repeat("\xF0\x9F\x90\xB1", 32)) == ""); // 128 bytes
    }

    TEST_CASE("RoomNameProblem follows the nickname rules")
    {
        CHECK(RoomNameProblem("") == "a room name cannot be empty");
        CHECK(RoomNameProblem(std::string(33, 'r')) == "a room name can have at most 32 characters");
        CHECK(RoomNameProblem(Repeat("\xC3\xA9", 33)).find("32") != std::string::npos);
        CHECK(RoomNameProblem("two words") == "a room name cannot contain spaces");
        CHECK(RoomNameProblem("tab\tbed") != "");
        CHECK(RoomNameProblem("nb\xC2\xA0sp") != ""); // U+00A0 no-break space
        CHECK(RoomNameProblem("a\x01") == "a room name cannot contain control characters");
        CHECK(RoomNameProblem(std::string_view("a\0b", 3)) != "");
        CHECK(RoomNameProblem("a\xC2\x85") != ""); // U+0085, a C1 control
        CHECK(RoomNameProblem("bad\xC3").find("UTF-8") != std::string::npos);
    }

    TEST_CASE("RoomNameProblem refuses #, comma and colon anywhere")
    {
        CHECK(RoomNameProblem("#games") == "a room name cannot contain #");
        CHECK(RoomNameProblem("games#") == "a room name cannot contain #");
        CHECK(RoomNameProblem("a,b") == "a room name cannot contain ,");
        CHECK(RoomNameProblem(",") != "");
        CHECK(RoomNameProblem("a:b") == "a room name cannot contain :");
        CHECK(RoomNameProblem("games:") != "");
    }

    TEST_CASE("FoldCase lower-cases ASCII letters only")
    {
        CHECK(FoldCase("") == "");
        CHECK(FoldCase("AnA") == "ana");
        CHECK(FoldCase("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "abcdefghijklmnopqrstuvwxyz");
        CHECK(FoldCase("already lower 123") == "already lower 123");
        CHECK(FoldCase("@[`{") == "@[`{"); // the neighbours of the letter ranges
        CHECK(FoldCase("\xC3\x89" "A") == "\xC3\x89" "a"); // U+00C9 is left alone
        CHECK(FoldCase("Z\xC3\x9Crich") == "z\xC3\x9Crich");
        CHECK(FoldCase("ANA") == FoldCase("ana"));
    }

    TEST_CASE("CleanMessageText strips carriage returns")
    {
        CHECK(CleanMessageText("one\r\ntwo") == "one\ntwo");
        CHECK(CleanMessageText("a\rb") == "ab");
        CHECK(CleanMessageText("trailing\r\n") == "trailing");
        CHECK(CleanMessageText("\r") == "");
    }

    TEST_CASE("CleanMessageText replaces control characters with U+FFFD")
    {
        CHECK(CleanMessageText("a\x01" "b") == "a" + Replacement + "b");
        CHECK(CleanMessageText("\x1B[31mred") == Replacement + "[31mred");
        CHECK(CleanMessageText(std::string_view("a\0b", 3)) == "a" + Replacement + "b");
        CHECK(CleanMessageText("del\x7F" "x") == "del" + Replacement + "x");
        CHECK(CleanMessageText("c1\xC2\x85" "x") == "c1" + Replacement + "x");
        CHECK(CleanMessageText("bell\x07") == "bell" + Replacement);
    }

    TEST_CASE("CleanMessageText keeps newlines and tabs inside the text")
    {
        CHECK(CleanMessageText("line one\nline two") == "line one\nline two");
        CHECK(CleanMessageText("col1\tcol2") == "col1\tcol2");
        CHECK(CleanMessageText("\n\tindented") == "\n\tindented");
        CHECK(CleanMessageText("  leading spaces stay") == "  leading spaces stay");
    }

    TEST_CASE("CleanMessageText trims trailing whitespace")
    {
        CHECK(CleanMessageText("hi   ") == "hi");
        CHECK(CleanMessageText("hi \n\t \n") == "hi");
        CHECK(CleanMessageText("   ") == "");
        CHECK(CleanMessageText("\n\n") == "");
        CHECK(CleanMessageText("") == "");
    }

    TEST_CASE("CleanMessageText keeps multibyte characters intact")
    {
        const std::string text = "caf\xC3\xA9 \xE2\x82\xAC" "5 \xF0\x9F\x8E\x89 \xE6\x97\xA5\xE6\x9C\xAC";
        CHECK(CleanMessageText(text) == text);
        CHECK(CleanMessageText(Replacement) == Replacement);
    }

    TEST_CASE("CleanMessageText turns invalid UTF-8 into U+FFFD so its result is always valid")
    {
        CHECK(CleanMessageText("a\x80" "b") == "a" + Replacement + "b");
        CHECK(CleanMessageText("ok\xC3") == "ok" + Replacement);
        CHECK(CleanMessageText("\xC0\xAF") == Replacement + Replacement);
        CHECK(IsValidUtf8(CleanMessageText("\xED\xA0\x80 \xFF\xFE text \xE2\x82")));
    }
}
