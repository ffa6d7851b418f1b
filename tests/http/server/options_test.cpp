// Tests for http::options::from_args: defaults, flags in both spellings,
// the environment, precedence, units, and errors that name the culprit.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "http/server/options.hpp"

namespace ringlane::http {
namespace {

using namespace std::chrono_literals;

options parse(std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return options::from_args(static_cast<int>(argv.size()), argv.data());
}

TEST(OptionsTest, DefaultsAreNginxLike) {
  const options o = parse({});
  EXPECT_EQ(o.port, 8080);
  EXPECT_EQ(o.timeouts.header, 60s);
  EXPECT_EQ(o.timeouts.idle, 75s);
  EXPECT_EQ(o.limits.max_body, 1u << 20);
  EXPECT_EQ(o.max_body_memory, std::size_t{1} << 30);
  EXPECT_TRUE(o.nodelay);
}

TEST(OptionsTest, FlagsTakeBothSpellingsAndUnits) {
  const options o = parse({"--port", "9000", "--max-body=2m", "--idle-timeout", "500ms", "--header-timeout=10",
                           "--buffer-size", "4k", "--backend", "epoll", "--nodelay", "off", "--linger", "0", "--max-body-memory", "256m"});
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.limits.max_body, 2u << 20);
  EXPECT_EQ(o.timeouts.idle, 500ms);
  EXPECT_EQ(o.timeouts.header, 10s);
  EXPECT_EQ(o.buffer_size, 4096u);
  EXPECT_EQ(o.backend, engine::backend_choice::epoll);
  EXPECT_FALSE(o.nodelay);
  EXPECT_EQ(o.linger, 0);
  EXPECT_EQ(o.max_body_memory, std::size_t{256} << 20);
}

TEST(OptionsTest, TheEnvironmentIsReadAndFlagsWin) {
  ::setenv("RINGLANE_PORT", "7000", 1);
  ::setenv("RINGLANE_MAX_HEADERS", "50", 1);
  const options from_env = parse({});
  const options flag_wins = parse({"--port", "7100"});
  ::unsetenv("RINGLANE_PORT");
  ::unsetenv("RINGLANE_MAX_HEADERS");
  EXPECT_EQ(from_env.port, 7000);
  EXPECT_EQ(from_env.limits.max_headers, 50u);
  EXPECT_EQ(flag_wins.port, 7100);
}

TEST(OptionsTest, BadInputNamesTheFlag) {
  auto message = [](std::vector<std::string> args) -> std::string {
    try {
      parse(std::move(args));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message({"--port", "http"}).find("port"), std::string::npos);
  EXPECT_NE(message({"--port", "70000"}).find("too large"), std::string::npos);
  EXPECT_NE(message({"--frobnicate", "1"}).find("--frobnicate"), std::string::npos);
  EXPECT_NE(message({"--port"}).find("needs a value"), std::string::npos);
  EXPECT_NE(message({"--backend", "kqueue"}).find("backend"), std::string::npos);
}

}  // namespace
}  // namespace ringlane::http
