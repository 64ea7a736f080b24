// The admin protocol: tokenizer (quoting, escapes, errors), quoting round trips, usage strings,
// argument matching and reply lines.
#include "daemon/admin_protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace twoway::daemon;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

std::vector<std::string> words(std::string_view line) {
  auto r = tokenize(line);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.tokens;
}

TEST(Tokenize, SplitsOnWhitespace) {
  EXPECT_THAT(words("  inbox   --unread\t--limit 5  "),
              ElementsAre("inbox", "--unread", "--limit", "5"));
  EXPECT_TRUE(words("").empty());
  EXPECT_TRUE(words("   \t ").empty());
}

TEST(Tokenize, DoubleQuotesWithEscapes) {
  EXPECT_THAT(words(R"(reply +15551234567 "On its way!")"),
              ElementsAre("reply", "+15551234567", "On its way!"));
  EXPECT_THAT(words(R"(say "a \"quoted\" word\\ and\nline\tend")"),
              ElementsAre("say", "a \"quoted\" word\\ and\nline\tend"));
  EXPECT_THAT(words(R"(x "keep \q as is")"), ElementsAre("x", "keep \\q as is"));
}

TEST(Tokenize, SingleQuotesAreLiteral) {
  EXPECT_THAT(words(R"(say 'it''s' 'a \n "b"')"), ElementsAre("say", "its", "a \\n \"b\""));
}

TEST(Tokenize, BackslashOutsideQuotes) {
  EXPECT_THAT(words(R"(say two\ words \"x)"), ElementsAre("say", "two words", "\"x"));
}

TEST(Tokenize, AdjacentPartsJoinIntoOneWord) {
  EXPECT_THAT(words(R"(a"b c"'d e'f)"), ElementsAre("ab cd ef"));
  EXPECT_THAT(words(R"(x "")"), ElementsAre("x", ""));
}

TEST(Tokenize, KeepsUtf8) {
  EXPECT_THAT(words("reply +1555 \"Olá 👋\""), ElementsAre("reply", "+1555", "Olá 👋"));
}

TEST(Tokenize, Errors) {
  EXPECT_EQ(tokenize(R"(reply "unterminated)").error, "unterminated double quote at column 7");
  EXPECT_EQ(tokenize("reply 'open").error, "unterminated single quote at column 7");
  EXPECT_EQ(tokenize("reply x\\").error, "backslash at the end of the line");
  EXPECT_EQ(tokenize(std::string_view("a\0b", 3)).error, "NUL byte in the command line");
  // Quoted or escaped too (found by fuzz_admin_protocol: single quotes and backslashes let a
  // NUL through).
  EXPECT_EQ(tokenize(std::string_view("reply \\\0", 8)).error, "NUL byte in the command line");
  EXPECT_EQ(tokenize(std::string_view("reply \"\\\0\"", 10)).error, "NUL byte in the command line");
  EXPECT_EQ(tokenize(std::string_view("reply 'a\0b'", 11)).error, "NUL byte in the command line");
  EXPECT_EQ(tokenize(std::string_view("reply \"a\0b\"", 11)).error, "NUL byte in the command line");
}

TEST(QuoteArg, RoundTripsThroughTokenize) {
  const std::vector<std::string> cases{"plain",         "+15551234567", "two words", "",
                                       "quote\"inside", "back\\slash",  "new\nline", "tab\there",
                                       "it's",          "$HOME",        "ümlaut",    "--flag"};
  for (const std::string& c : cases) {
    auto r = tokenize("cmd " + quote_arg(c));
    ASSERT_TRUE(r.ok()) << c;
    ASSERT_EQ(r.tokens.size(), 2u) << c;
    EXPECT_EQ(r.tokens[1], c);
  }
  EXPECT_EQ(quote_arg("+15551234567"), "+15551234567");
  EXPECT_EQ(quote_arg("On its way!"), "\"On its way!\"");
  const std::vector<std::string> cmd{"reply", "+1555", "Hi \"you\""};
  EXPECT_EQ(join_command(cmd), R"(reply +1555 "Hi \"you\"")");
}

TEST(Usage, ParsesOptionsAndPositionals) {
  Usage u = parse_usage("inbox [--unread] [--archived] [--limit N] [--before CURSOR]");
  EXPECT_EQ(u.command, "inbox");
  ASSERT_EQ(u.options.size(), 4u);
  EXPECT_FALSE(u.options[0].takes_value);
  EXPECT_FALSE(u.options[1].takes_value);
  EXPECT_EQ(u.options[2].name, "limit");
  EXPECT_TRUE(u.options[2].takes_value);
  EXPECT_TRUE(u.options[3].takes_value);
  EXPECT_TRUE(u.positionals.empty());

  Usage r = parse_usage("reply NUMBER TEXT... [--at TIME]");
  ASSERT_EQ(r.positionals.size(), 2u);
  EXPECT_FALSE(r.positionals[0].optional);
  EXPECT_TRUE(r.positionals[1].variadic);
  EXPECT_EQ(r.positionals[1].name, "TEXT");

  Usage h = parse_usage("thread [--all] [NUMBER]");
  ASSERT_EQ(h.options.size(), 1u);
  EXPECT_FALSE(h.options[0].takes_value);
  ASSERT_EQ(h.positionals.size(), 1u);
  EXPECT_TRUE(h.positionals[0].optional);
}

TEST(ParseArgs, MatchesUsage) {
  const std::string text = "inbox [--unread] [--limit N] [--before CURSOR]";
  const Usage u = parse_usage(text);
  auto r = parse_args(words("inbox --unread --limit 20 --before=abc"), u, text);
  ASSERT_TRUE(std::holds_alternative<Args>(r));
  const Args& a = std::get<Args>(r);
  EXPECT_EQ(a.command, "inbox");
  EXPECT_TRUE(a.has("unread"));
  EXPECT_EQ(a.value("limit"), "20");
  EXPECT_EQ(a.value("before"), "abc");
  EXPECT_EQ(a.integer("limit", 50, 1, 500), 20);
  EXPECT_EQ(a.integer("missing", 50, 1, 500), 50);
}

TEST(ParseArgs, IntegerOutOfRangeIsNullopt) {
  const Usage u = parse_usage("inbox [--limit N]");
  auto a = std::get<Args>(parse_args(words("inbox --limit 9999"), u, "inbox [--limit N]"));
  EXPECT_EQ(a.integer("limit", 50, 1, 500), std::nullopt);
  a = std::get<Args>(parse_args(words("inbox --limit x"), u, "inbox [--limit N]"));
  EXPECT_EQ(a.integer("limit", 50, 1, 500), std::nullopt);
}

TEST(ParseArgs, Errors) {
  const std::string text = "reply NUMBER TEXT [--limit N]";
  const Usage u = parse_usage(text);
  auto err = [&](std::string_view line) {
    auto r = parse_args(words(line), u, text);
    EXPECT_TRUE(std::holds_alternative<AdminError>(r)) << line;
    return std::holds_alternative<AdminError>(r) ? std::get<AdminError>(r) : AdminError{};
  };
  EXPECT_EQ(err("reply").message, "missing NUMBER; usage: reply NUMBER TEXT [--limit N]");
  EXPECT_EQ(err("reply +1").message, "missing TEXT; usage: reply NUMBER TEXT [--limit N]");
  EXPECT_THAT(err("reply +1 hi extra").message, HasSubstr("unexpected argument 'extra'"));
  EXPECT_THAT(err("reply +1 hi --nope").message, HasSubstr("unknown option --nope"));
  EXPECT_THAT(err("reply +1 hi --limit").message, HasSubstr("--limit needs a value"));
  EXPECT_THAT(err("reply +1 hi --limit 1 --limit 2").message, HasSubstr("given twice"));
  EXPECT_EQ(err("reply").code, "bad_request");
}

TEST(ParseArgs, DoubleDashEndsOptions) {
  const Usage u = parse_usage("reply NUMBER TEXT");
  auto r = parse_args(words("reply +1 -- --not-an-option"), u, "reply NUMBER TEXT");
  ASSERT_TRUE(std::holds_alternative<Args>(r));
  EXPECT_THAT(std::get<Args>(r).positional, ElementsAre("+1", "--not-an-option"));
}

TEST(ParseArgs, VariadicTakesTheRest) {
  const Usage u = parse_usage("note NUMBER TEXT...");
  auto r = parse_args(words("note +1 a b c"), u, "note NUMBER TEXT...");
  ASSERT_TRUE(std::holds_alternative<Args>(r));
  EXPECT_THAT(std::get<Args>(r).positional, ElementsAre("+1", "a", "b", "c"));
}

TEST(ReplyLines, OkAndError) {
  EXPECT_EQ(ok_line({{"count", 2}, {"a", "b"}}), "{\"ok\":true,\"a\":\"b\",\"count\":2}\n");
  EXPECT_EQ(ok_line(nullptr), "{\"ok\":true}\n");
  EXPECT_EQ(error_line({"forbidden", "no"}),
            "{\"ok\":false,\"error\":{\"code\":\"forbidden\",\"message\":\"no\"}}\n");
  // Invalid UTF-8 from outside never breaks the line.
  EXPECT_EQ(ok_line({{"t", std::string("a\xff")}}), "{\"ok\":true,\"t\":\"a\xEF\xBF\xBD\"}\n");
  // In a key too (found by fuzz_admin_protocol: it threw).
  EXPECT_EQ(ok_line({{std::string("k\xf5"), 1}}), "{\"ok\":true,\"k\xEF\xBF\xBD\":1}\n");
}

TEST(Roles, Names) {
  EXPECT_EQ(to_string(Role::manager), "manager");
  EXPECT_EQ(role_from_string("owner"), Role::owner);
  EXPECT_EQ(role_from_string("root"), std::nullopt);
  EXPECT_LT(Role::manager, Role::admin);
  EXPECT_LT(Role::admin, Role::owner);
}

}  // namespace
