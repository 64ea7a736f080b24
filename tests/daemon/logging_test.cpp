// Logging set-up: level names, syslog priorities, journal detection, the journal entry's fields
// and key=value quoting.
#include "daemon/logging.hpp"

#include <spdlog/spdlog.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <vector>

using namespace twoway::daemon;

namespace {

TEST(Logging, LevelNames) {
  EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(parse_log_level("loud"), std::nullopt);
}

TEST(Logging, SyslogPriorities) {
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
}

TEST(Logging, JournalStreamMustMatchStderr) {
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  const std::string mine = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                           std::to_string(static_cast<unsigned long long>(st.st_ino));
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  setenv("JOURNAL_STREAM", "1:2", 1);  // inherited from a parent whose stderr was the journal
  EXPECT_FALSE(stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
}

TEST(Logging, SetupRejectsUnknownNames) {
  EXPECT_FALSE(setup_logging("loud", "text"));
  EXPECT_FALSE(setup_logging("info", "xml"));
  EXPECT_TRUE(setup_logging("warn", "text"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  EXPECT_TRUE(set_log_level("debug"));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_FALSE(set_log_level("nope"));
}

using ::testing::Contains;
using ::testing::Not;

TEST(Logging, JournalFieldsFromTheMessageAndTheCallSite) {
  const spdlog::details::log_msg msg(spdlog::source_loc{"daemon/gateway.cpp", 271, "start_binds"},
                                     "twowayd", spdlog::level::warn,
                                     "bind=sim#2 state=backoff error=\"connection lost\"");
  const auto fields = journal_fields(msg);
  EXPECT_EQ(fields.front(), "MESSAGE=bind=sim#2 state=backoff error=\"connection lost\"");
  EXPECT_THAT(fields, Contains("PRIORITY=4"));
  EXPECT_THAT(fields, Contains("SYSLOG_IDENTIFIER=twowayd"));
  EXPECT_THAT(fields, Contains("CODE_FILE=daemon/gateway.cpp"));
  EXPECT_THAT(fields, Contains("CODE_LINE=271"));
  EXPECT_THAT(fields, Contains("CODE_FUNC=start_binds"));
  const spdlog::details::log_msg from_build_dir(
      spdlog::source_loc{"../../daemon/app.cpp", 9, "run"}, "twowayd", spdlog::level::info, "x");
  EXPECT_THAT(journal_fields(from_build_dir), Contains("CODE_FILE=daemon/app.cpp"));
  EXPECT_THAT(fields, Contains("BIND=sim#2"));
  EXPECT_THAT(fields, Contains("SMSC=sim"));  // from the bind id
  EXPECT_THAT(fields, Not(Contains(::testing::StartsWith("MESSAGE_ID="))));
}

TEST(Logging, JournalFieldsTakeQuotedValuesAndSkipLookAlikes) {
  const spdlog::details::log_msg msg(spdlog::source_loc{}, "twowayd", spdlog::level::info,
                                     "receipt xsmsc=no smsc=\"core \\\"a\\\"\" message_id=0A1B");
  const auto fields = journal_fields(msg);
  EXPECT_THAT(fields, Contains("SMSC=core \"a\""));
  EXPECT_THAT(fields, Contains("MESSAGE_ID=0A1B"));
  EXPECT_THAT(fields, Contains("PRIORITY=6"));
  EXPECT_THAT(fields, Not(Contains(::testing::StartsWith("CODE_FILE="))));  // no call site known
  EXPECT_THAT(fields, Not(Contains(::testing::StartsWith("BIND="))));
}

TEST(Logging, JournalSinkSendsEachEntryWithItsCallSite) {
  std::vector<std::vector<std::string>> sent;
  auto sink = std::make_shared<JournalSink>([&](const std::vector<std::string>& f) {
    sent.push_back(f);
    return 0;
  });
  spdlog::logger logger("twowayd", sink);
  SPDLOG_LOGGER_ERROR(&logger, "smsc={} bind refused", "core");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][0], "MESSAGE=smsc=core bind refused");
  EXPECT_THAT(sent[0], Contains("PRIORITY=3"));
  EXPECT_THAT(sent[0], Contains("SMSC=core"));
  EXPECT_THAT(sent[0], Contains("CODE_FILE=tests/daemon/logging_test.cpp"));
  EXPECT_THAT(sent[0], Contains(::testing::StartsWith("CODE_LINE=")));
}

TEST(Logging, JournalSinkFallsBackToStderrWhenJournaldRefuses) {
  auto sink = std::make_shared<JournalSink>([](const std::vector<std::string>&) { return -111; });
  spdlog::logger logger("twowayd", sink);
  ::testing::internal::CaptureStderr();
  logger.warn("bind=sim#1 state=backoff");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "<4>bind=sim#1 state=backoff\n");
}

TEST(Logging, AutoFormatUnderTheJournalSendsNatively) {
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  const std::string mine = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                           std::to_string(static_cast<unsigned long long>(st.st_ino));
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  ASSERT_TRUE(setup_logging("info", "auto"));
  unsetenv("JOURNAL_STREAM");
  const auto& sinks = spdlog::default_logger()->sinks();
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_NE(std::dynamic_pointer_cast<JournalSink>(sinks[0]), nullptr);
  // Not under the journal: today's stderr lines.
  ASSERT_TRUE(setup_logging("info", "auto"));
  EXPECT_EQ(std::dynamic_pointer_cast<JournalSink>(spdlog::default_logger()->sinks()[0]), nullptr);
}

TEST(Logging, ValuesStayOnOneField) {
  EXPECT_EQ(log_value("alice"), "alice");
  EXPECT_EQ(log_value(""), "\"\"");
  EXPECT_EQ(log_value("two words"), "\"two words\"");
  EXPECT_EQ(log_value("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(log_value("line\nbreak\x1b"), "\"line\\nbreak\\x1b\"");
  EXPECT_EQ(log_value("k=v"), "\"k=v\"");
}

}  // namespace
