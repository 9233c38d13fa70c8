// Unit tests for engine/identity: Ed25519 signing, the key file on disk (created, reloaded, refused
// when damaged, raced by two threads) and the hex and fingerprint forms. A fresh temp folder per test.
#include "engine/identity.hpp"

#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace obrol::engine;
namespace fs = std::filesystem;

namespace {

// A fresh folder for each test (tests/temp_dir.hpp), named after this suite.
class TempDir : public obrol::test::TempDir
{
public:
    TempDir() : obrol::test::TempDir("obrol-identity-test") {}
};

std::vector<std::uint8_t> Bytes(std::string_view text)
{
    return {text.begin(), text.end()};
}

std::string ReadAll(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const fs::path& file, const std::string& text)
{
    std::ofstream out(file, std::ios::binary);
    out << text;
}

std::vector<std::string> Names(const fs::path& dir)
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The IdentityError message LoadOrCreate throws for `file`, or nothing when it does not throw.
std::optional<std::string> LoadError(const fs::path& file)
{
    try
    {
        (void)Identity::LoadOrCreate(file);
    }
    catch (const IdentityError& error)
    {
        return std::string(error.what());
    }
    return std::nullopt;
}

// The openssl command line tool, to check the key file against; the tests that use it pass
// without checking anything where it is missing.
bool HaveOpenSslCommand()
{
#ifdef _WIN32
    return false;
#else
    static const bool have = std::system("openssl version > /dev/null 2>&1") == 0;
    if (!have)
        MESSAGE("the openssl command is not installed: skipped");
    return have;
#endif
}

} // namespace

TEST_SUITE("identity")
{
    TEST_CASE("a signature verifies with the signer's public key")
    {
        const Identity identity = Identity::Generate();
        const auto message = Bytes("challenge 1234");
        const Signature signature = identity.Sign(message);
        CHECK(VerifySignature(identity.Public(), message, signature));
        CHECK(identity.File().empty());
    }

    TEST_CASE("an empty message can be signed and verified")
    {
        const Identity identity = Identity::Generate();
        const Signature signature = identity.Sign({});
        CHECK(VerifySignature(identity.Public(), {}, signature));
        CHECK_FALSE(VerifySignature(identity.Public(), Bytes("x"), signature));
    }

    TEST_CASE("a changed message, a changed signature or another key fails verification")
    {
        const Identity identity = Identity::Generate();
        const Identity other = Identity::Generate();
        const auto message = Bytes("challenge 1234");
        const Signature signature = identity.Sign(message);

        auto changed = message;
        changed.back() ^= 1;
        CHECK_FALSE(VerifySignature(identity.Public(), changed, signature));

        auto badSignature = signature;
        badSignature[10] ^= 0x80;
        CHECK_FALSE(VerifySignature(identity.Public(), message, badSignature));

        CHECK(other.Public() != identity.Public());
        CHECK_FALSE(VerifySignature(other.Public(), message, signature));
    }

    TEST_CASE("a copied identity signs like the original")
    {
        const Identity identity = Identity::Generate();
        Identity copy = identity;
        const auto message = Bytes("same");
        CHECK(copy.Public() == identity.Public());
        CHECK(copy.Sign(message) == identity.Sign(message)); // Ed25519 is deterministic
        Identity moved = std::move(copy);
        CHECK(VerifySignature(identity.Public(), message, moved.Sign(message)));
    }

    TEST_CASE("LoadOrCreate creates a 0600 key file in new 0700 folders and loads the same key again")
    {
        TempDir temp;
        const fs::path file = temp.Path() / "config" / "obrol" / "identity.pem";

        const Identity created = Identity::LoadOrCreate(file);
        REQUIRE(fs::is_regular_file(file));
        CHECK(created.File() == file);
        CHECK(ReadAll(file).starts_with("-----BEGIN PRIVATE KEY-----\n"));
        CHECK(Names(file.parent_path()) == std::vector<std::string>{"identity.pem"}); // no temp file left
#ifndef _WIN32
        CHECK((fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
        CHECK((fs::status(file.parent_path()).permissions() & fs::perms::all) == fs::perms::owner_all);
        CHECK((fs::status(temp.Path() / "config").permissions() & fs::perms::all) == fs::perms::owner_all);
#endif

        const std::string contents = ReadAll(file);
        const Identity loaded = Identity::LoadOrCreate(file);
        CHECK(loaded.Public() == created.Public());
        CHECK(loaded.Fingerprint() == created.Fingerprint());
        CHECK(ReadAll(file) == contents);

        const auto message = Bytes("login");
        CHECK(VerifySignature(created.Public(), message, loaded.Sign(message)));
    }

    TEST_CASE("the key file is a PKCS#8 key that openssl pkey reads")
    {
        if (!HaveOpenSslCommand())
            return;
        TempDir temp;
        const fs::path file = temp.Path() / "identity.pem";
        const fs::path der = temp.Path() / "public.der";
        const Identity identity = Identity::LoadOrCreate(file);

        const std::string command =
            "openssl pkey -in '" + file.string() + "' -pubout -outform DER -out '" + der.string() + "' 2>/dev/null";
        REQUIRE(std::system(command.c_str()) == 0);
        const std::string spki = ReadAll(der);
        REQUIRE(spki.size() == 44); // SubjectPublicKeyInfo: 12 bytes of header, then the raw key
        const PublicKey& key = identity.Public();
        CHECK(std::equal(key.begin(), key.end(), reinterpret_cast<const std::uint8_t*>(spki.data()) + 12));
    }

    TEST_CASE("a corrupt key file throws an error naming it and is left untouched")
    {
        TempDir temp;
        const fs::path file = temp.Path() / "identity.pem";
        const std::string garbage = "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n";
        WriteAll(file, garbage);

        const auto error = LoadError(file);
        REQUIRE(error.has_value());
        CHECK(error->find(file.string()) != std::string::npos);
        CHECK(error->find("move it away") != std::string::npos);
        CHECK(ReadAll(file) == garbage);
        CHECK(Names(temp.Path()) == std::vector<std::string>{"identity.pem"});
    }

    TEST_CASE("a key file holding another kind of key is refused")
    {
        if (!HaveOpenSslCommand())
            return;
        TempDir temp;
        const fs::path file = temp.Path() / "identity.pem";
        const std::string command = "openssl genpkey -algorithm X25519 -out '" + file.string() + "' 2>/dev/null";
        REQUIRE(std::system(command.c_str()) == 0);
        const std::string contents = ReadAll(file);

        const auto error = LoadError(file);
        REQUIRE(error.has_value());
        CHECK(error->find(file.string()) != std::string::npos);
        CHECK(ReadAll(file) == contents);
    }

    TEST_CASE("an empty key file throws an error naming it and is left untouched")
    {
        TempDir temp;
        const fs::path file = temp.Path() / "identity.pem";
        WriteAll(file, "");

        const auto error = LoadError(file);
        REQUIRE(error.has_value());
        CHECK(error->find(file.string()) != std::string::npos);
        CHECK(error->find("empty") != std::string::npos);
        CHECK(fs::file_size(file) == 0);
        CHECK(Names(temp.Path()) == std::vector<std::string>{"identity.pem"});
    }

    TEST_CASE("a folder where the key file should be throws an error naming it")
    {
        TempDir temp;
        const fs::path file = temp.Path() / "identity.pem";
        fs::create_directory(file);

        const auto error = LoadError(file);
        REQUIRE(error.has_value());
        CHECK(error->find(file.string()) != std::string::npos);
        CHECK(fs::is_directory(file));
        CHECK(fs::is_empty(file));
    }

    TEST_CASE("two threads creating the same new key file at once get the same key")
    {
        TempDir temp;
        for (int round = 0; round < 20; ++round)
        {
            const fs::path file = temp.Path() / ("round" + std::to_string(round)) / "identity.pem";
            std::latch start(2);
            std::optional<PublicKey> first;
            std::optional<PublicKey> second;
            std::string failure;
            auto run = [&](std::optional<PublicKey>& result)
            {
                start.arrive_and_wait();
                try
                {
                    result = Identity::LoadOrCreate(file).Public();
                }
                catch (const IdentityError& error)
                {
                    failure = error.what();
                }
            };
            std::thread a(run, std::ref(first));
            std::thread b(run, std::ref(second));
            a.join();
            b.join();

            INFO("round ", round, ": ", failure);
            REQUIRE(first.has_value());
            REQUIRE(second.has_value());
            CHECK(*first == *second);
            CHECK(Identity::LoadOrCreate(file).Public() == *first);
            CHECK(Names(file.parent_path()) == std::vector<std::string>{"identity.pem"});
        }
    }

    TEST_CASE("the fingerprint is stable for a key and differs between keys")
    {
        const Identity identity = Identity::Generate();
        const Identity other = Identity::Generate();
        const std::string fingerprint = identity.Fingerprint();

        CHECK(fingerprint == identity.Fingerprint());
        CHECK(fingerprint.starts_with("SHA256:"));
        CHECK(fingerprint.size() == 7 + 22);
        CHECK(fingerprint.find('=') == std::string::npos);
        CHECK(other.Fingerprint() != fingerprint);
    }

    TEST_CASE("the fingerprint is SHA-256 of the public key, first 16 bytes in base64")
    {
        if (!HaveOpenSslCommand())
            return;
        TempDir temp;
        const fs::path file = temp.Path() / "identity.pem";
        const fs::path raw = temp.Path() / "public.raw";
        const fs::path digest = temp.Path() / "digest.txt";
        const Identity identity = Identity::LoadOrCreate(file);
        const PublicKey& key = identity.Public();
        WriteAll(raw, std::string(key.begin(), key.end()));

        // openssl's base64 of the first 16 digest bytes ends in "==" where ours has no padding
        const std::string command = "openssl dgst -sha256 -binary '" + raw.string() +
                                    "' | head -c 16 | openssl base64 -A > '" + digest.string() + "' 2>/dev/null";
        REQUIRE(std::system(command.c_str()) == 0);
        std::string expected = ReadAll(digest);
        REQUIRE(expected.size() == 24);
        expected.resize(22);
        CHECK(identity.Fingerprint() == "SHA256:" + expected);
    }

    TEST_CASE("a public key survives the hex round trip and bad hex is rejected")
    {
        const Identity identity = Identity::Generate();
        const std::string hex = PublicKeyHex(identity.Public());
        CHECK(hex.size() == 64);
        CHECK(std::all_of(hex.begin(), hex.end(),
                          [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
        CHECK(PublicKeyFromHex(hex) == identity.Public());

        std::string upper = hex;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return c >= 'a' ? char(c - 32) : c; });
        CHECK(PublicKeyFromHex(upper) == identity.Public());

        CHECK_FALSE(PublicKeyFromHex("").has_value());
        CHECK_FALSE(PublicKeyFromHex(hex.substr(0, 63)).has_value());
        CHECK_FALSE(PublicKeyFromHex(hex + "0").has_value());
        CHECK_FALSE(PublicKeyFromHex(hex.substr(0, 62) + "g0").has_value());
        CHECK_FALSE(PublicKeyFromHex(" " + hex.substr(1)).has_value());
        CHECK_FALSE(PublicKeyFromHex(hex.substr(0, 62) + "-1").has_value());

        PublicKey known{};
        known[0] = 0x01;
        known[31] = 0xfe;
        CHECK(PublicKeyHex(known) == "01" + std::string(60, '0') + "fe");
    }

    TEST_CASE("random challenges differ")
    {
        CHECK(RandomBytes32() != RandomBytes32());
    }

    TEST_CASE("the default identity path ends in identity.pem under an Obrol folder")
    {
        const fs::path path = DefaultIdentityPath();
        CHECK(path.filename() == "identity.pem");
        const std::string folder = path.parent_path().filename().string();
        CHECK((folder == "obrol" || folder == "Obrol" || folder == ".obrol"));
    }
}
