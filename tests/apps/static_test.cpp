// apps/static end to end: the binary as a child process on both backends,
// serving a temporary --root, driven by curl the way users fetch files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "tests/apps/demo_harness.hpp"

namespace demo_test {
namespace {

class StaticTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ringlane-static-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ + "/docs");
    std::ofstream(root_ + "/index.html") << "<h1>static</h1>";
    std::ofstream(root_ + "/docs/index.html") << "<p>docs</p>";
    data_.resize(300000);
    for (std::size_t i = 0; i < data_.size(); ++i) data_[i] = static_cast<char>((i * 7 + (i >> 9)) & 0xff);
    std::ofstream(root_ + "/data.bin", std::ios::binary) << data_;
    server_ = std::make_unique<demo_process>(app_binary("STATIC_BIN"), GetParam(), std::vector<std::string>{"--root", root_});
  }
  void TearDown() override {
    if (server_) {
      const demo_process::exit_info e = server_->terminate(15s);
      EXPECT_TRUE(e.exited);
      EXPECT_EQ(e.code, 0);
    }
    std::filesystem::remove_all(root_);
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  std::string root_, data_;
  std::unique_ptr<demo_process> server_;
};

TEST_P(StaticTest, CurlFetchesPagesAndFollowsTheDirectoryRedirect) {
  int st = 0;
  EXPECT_EQ(run("curl -sS --max-time 10 " + url("/"), st), "<h1>static</h1>");
  EXPECT_EQ(st, 0);
  EXPECT_EQ(run("curl -sS -L --max-time 10 " + url("/docs"), st), "<p>docs</p>");
  EXPECT_EQ(st, 0);
  EXPECT_EQ(run("curl -s -o /dev/null -w '%{http_code}' --max-time 10 " + url("/missing"), st), "404");
}

TEST_P(StaticTest, CurlResumesAPartialDownload) {
  // The first 1000 bytes already on disk; `curl -C -` asks for the rest.
  const std::string out = root_ + "/../" + std::filesystem::path(root_).filename().string() + "-download";
  std::ofstream(out, std::ios::binary) << data_.substr(0, 1000);
  int st = 0;
  run("curl -sS --max-time 20 -C - -o " + out + " " + url("/data.bin"), st);
  EXPECT_EQ(st, 0);
  std::ifstream in(out, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(out);
  EXPECT_EQ(got.size(), data_.size());
  EXPECT_TRUE(got == data_);
}

// Under a 32-descriptor limit, clients that come one after another and
// stay connected soon leave the server no descriptor to open a file with
// right after an accept took the last one: such a request gets 503 with
// Retry-After (the file is fine; nginx would say 500), never a hang or a
// dropped connection, and once the clients leave, files are served again.
TEST_P(StaticTest, OutOfDescriptorsAFileRequestGets503AndTheServerRecovers) {
  if (::access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit (util-linux)";
  server_.reset();
  demo_process app(app_binary("STATIC_BIN"), GetParam(), {"--root", root_}, false,
                   {"/usr/bin/prlimit", "--nofile=32:32", "--"});
  std::vector<std::unique_ptr<http_client>> conns;
  int ok = 0, unavailable = 0;
  for (int i = 0; i < 60; ++i) {
    conns.push_back(std::make_unique<http_client>(app.port(), 10s));
    http_response r;
    try {
      r = conns.back()->get("/index.html");
    } catch (const std::exception& e) {
      FAIL() << "request " << i << " was not answered: " << e.what();
    }
    if (r.status == 200) {
      EXPECT_EQ(r.body, "<h1>static</h1>");
      ++ok;
    } else {
      ASSERT_EQ(r.status, 503) << "request " << i;
      EXPECT_EQ(r.header("retry-after"), "1");
      ++unavailable;
    }
  }
  EXPECT_GE(ok, 10);  // the first ones, before the table filled
  EXPECT_GE(unavailable, 1);
  conns.clear();  // the clients leave: their descriptors come back
  int status = 0;
  for (int attempt = 0; attempt < 20 && status != 200; ++attempt) {  // as Retry-After invites
    http_client again(app.port(), 10s);
    status = again.get("/index.html").status;
  }
  EXPECT_EQ(status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, StaticTest, ::testing::Values("uring", "epoll"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace demo_test
