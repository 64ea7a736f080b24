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

// What a reply sent over socat carries: the rest of the line as typed.
std::vector<std::string> split(std::string_view line, std::string_view usage) {
  auto r = split_command(line, parse_usage(usage));
  EXPECT_TRUE(r.ok()) << line << ": " << r.error;
  return r.tokens;
}

TEST(SplitCommand, AFreeTextIsTheRestOfTheLineAsTyped) {
  EXPECT_THAT(split("reply +15551234567 Don't worry, it's on its way", kReplyUsage),
              ElementsAre("reply", "+15551234567", "Don't worry, it's on its way"));
  EXPECT_THAT(split(R"(reply +1555 She said "hi" \o/ C:\temp  )", kReplyUsage),
              ElementsAre("reply", "+1555", R"(She said "hi" \o/ C:\temp)"));
  EXPECT_THAT(split(R"(reply +1555 "Hi" and "bye")", kReplyUsage),
              ElementsAre("reply", "+1555", R"("Hi" and "bye")"));
  EXPECT_THAT(split("reply +1555 it's", kReplyUsage), ElementsAre("reply", "+1555", "it's"));
  EXPECT_THAT(split("send --kind campaign +1555 50% off: don't miss it!", kSendUsage),
              ElementsAre("send", "--kind", "campaign", "+1555", "50% off: don't miss it!"));
  EXPECT_THAT(split("send-bulk --kind campaign Spring sale: don't miss it!", kSendBulkUsage),
              ElementsAre("send-bulk", "--kind", "campaign", "Spring sale: don't miss it!"));
  EXPECT_THAT(split("settings answers.help {{organization.prefix}}: it's \"free\"", kSettingsUsage),
              ElementsAre("settings", "answers.help", "{{organization.prefix}}: it's \"free\""));
  // The tokenizer alone refuses such a line.
  EXPECT_FALSE(tokenize("reply +15551234567 Don't worry").ok());
}

TEST(SplitCommand, OneQuotedStringIsTheStringItQuotes) {
  EXPECT_THAT(split(R"(reply +1555 "Hi \"you\", C:\\temp")", kReplyUsage),
              ElementsAre("reply", "+1555", R"(Hi "you", C:\temp)"));
  EXPECT_THAT(split("reply +1555 'It is \"here\"'", kReplyUsage),
              ElementsAre("reply", "+1555", "It is \"here\""));
  EXPECT_THAT(split(R"(reply "+1 555" "a b")", kReplyUsage), ElementsAre("reply", "+1 555", "a b"));
  EXPECT_THAT(split(R"(reply +1555 "")", kReplyUsage), ElementsAre("reply", "+1555", ""));
  // Not one string: an unterminated quote, or a bare part joined to the quoted one.
  EXPECT_THAT(split(R"(reply +1555 "open)", kReplyUsage),
              ElementsAre("reply", "+1555", R"("open)"));
  EXPECT_THAT(split(R"(reply +1555 "a"b)", kReplyUsage), ElementsAre("reply", "+1555", R"("a"b)"));
}

TEST(SplitCommand, OptionsBeforeTheTextAndDoubleDash) {
  EXPECT_THAT(split("reply --override-quiet-hours +1555 I'm late", kReplyUsage),
              ElementsAre("reply", "--override-quiet-hours", "+1555", "I'm late"));
  EXPECT_THAT(split("reply +1555 --override-quiet-hours I'm late", kReplyUsage),
              ElementsAre("reply", "+1555", "--override-quiet-hours", "I'm late"));
  EXPECT_THAT(split("reply +1555 -- --it's a text", kReplyUsage),
              ElementsAre("reply", "+1555", "--", "--it's a text"));
  EXPECT_THAT(split(R"(send --kind "campaign" +1555 it's)", kSendUsage),
              ElementsAre("send", "--kind", "campaign", "+1555", "it's"));
  // Words before the text are quoted as usual.
  EXPECT_EQ(split_command(R"(reply "+1555 hi)", parse_usage(kReplyUsage)).error,
            "unterminated double quote at column 7");
  // A command with no free text splits as tokenize() does.
  EXPECT_EQ(split_command("thread 'x", parse_usage("thread NUMBER")).error,
            "unterminated single quote at column 8");
}

TEST(SplitCommand, TwowayctlsJoinGivesTheTextBack) {
  const std::vector<std::vector<std::string>> cases{
      {"reply", "+1555", "Don't", "worry,", "it's", "on", "its", "way"},
      {"reply", "+1555", R"(He said "hi" \o/)"},
      {"reply", "--override-quiet-hours", "+1555", "it's", "late"},
      {"reply", "+1555", "--", "--dashes"},
      {"reply", "+1555", "line\nbreak\tand tab"},
      {"reply", "+1555", "'single'"},
      {"reply", "+1555", "\"double\""},
      {"send", "--kind", "flow", "+1555", "a", "b"},
      {"send-bulk", "--kind", "campaign", "Spring", "sale:", "it's", "20%", "off"},
      {"send-bulk", "--no-shorten", "--kind", "flow", "See \"https://x.example/a\""},
      {"settings", "answers.help", "{{organization.prefix}}: it's", "\"free\""},
      {"settings", "auto_responder.mode"},
  };
  for (const auto& words : cases) {
    const Usage u = parse_usage(free_text_usage(words[0]));
    const std::string line = join_command(words, u);
    const auto back = split_command(line, u);
    ASSERT_TRUE(back.ok()) << line;
    auto parsed = parse_args(back.tokens, u, free_text_usage(words[0]));
    ASSERT_TRUE(std::holds_alternative<Args>(parsed)) << line;
    auto original = parse_args(words, u, free_text_usage(words[0]));
    ASSERT_TRUE(std::holds_alternative<Args>(original));
    const Args& a = std::get<Args>(parsed);
    const Args& b = std::get<Args>(original);
    EXPECT_EQ(a.options, b.options) << line;
    // The text arrives as the words joined by spaces, exactly.
    const std::size_t text_at = u.positionals.size() - 1;
    if (b.positional.size() <= text_at) {
      EXPECT_EQ(a.positional, b.positional) << line;
      continue;
    }
    std::string text;
    for (std::size_t j = text_at; j < b.positional.size(); ++j)
      text += (j == text_at ? "" : " ") + b.positional[j];
    ASSERT_EQ(a.positional.size(), text_at + 1) << line;
    EXPECT_EQ(a.positional.back(), text) << line;
  }
  EXPECT_EQ(free_text_usage("inbox"), "");
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
