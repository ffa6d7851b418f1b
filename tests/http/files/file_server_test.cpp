// serve_files() end to end over loopback, on both backends, against a
// temporary directory: types, validators, HEAD, directories, refusals,
// 304, ranges, a large file, and keep-alive through all of them.
#include "http/files/file_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/http/support/http_client.hpp"
#include "tests/http/support/test_server.hpp"

namespace ringlane {
namespace {

using engine::backend_choice;
using testing::http_conn;

class FileServerTest : public ::testing::TestWithParam<backend_choice> {
 protected:
  void SetUp() override {
    testing::require_backend(GetParam());
    char tmpl[] = "/tmp/ringlane-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write("index.html", "<h1>home</h1>");
    write("sub/index.html", "<p>sub</p>");
    write("sub/site.css", "body{}");
    write(".env", "SECRET=1");
    write(".git/config", "[core]");
    big_ = testing::pattern(1 << 20, 7);
    write("big.bin", big_);
    std::filesystem::create_directory(dir_ + "/empty");
    std::filesystem::create_directory(dir_ + "/a b%\r\nc");
    ASSERT_EQ(::mkfifo((dir_ + "/fifo").c_str(), 0600), 0);

    srv_ = std::make_unique<http::server>(testing::test_options(GetParam()));
    srv_->get("/static/*path", http::serve_files(dir_));
    srv_->start();
  }
  void TearDown() override {
    srv_.reset();
    std::filesystem::remove_all(dir_);
  }

  void write(const std::string& rel, const std::string& data) {
    const std::filesystem::path p = dir_ + "/" + rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
  }
  std::optional<testing::http_reply> get(http_conn& c, const std::string& target, const std::string& fields = {},
                                         const char* method = "GET") {
    if (!c.send(std::string(method) + " " + target + " HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n")) return std::nullopt;
    return c.read_reply(std::string_view(method) == "HEAD");
  }

  std::string dir_, big_;
  std::unique_ptr<http::server> srv_;
};

TEST_P(FileServerTest, ServesAFileWithItsTypeLengthAndValidators) {
  http_conn c(srv_->port());
  auto r = get(c, "/static/sub/site.css");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body{}");
  EXPECT_EQ(r->header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(r->header("content-length"), "6");
  EXPECT_EQ(r->header("accept-ranges"), "bytes");
  EXPECT_EQ(r->header("etag").front(), '"');
  EXPECT_EQ(r->header("last-modified").size(), 29u);
}

TEST_P(FileServerTest, HeadSendsTheHeadOnlyAndTheConnectionGoesOn) {
  http_conn c(srv_->port());
  auto h = get(c, "/static/big.bin", {}, "HEAD");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->header("content-length"), std::to_string(big_.size()));
  EXPECT_TRUE(h->body.empty());
  auto r = get(c, "/static/index.html");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "<h1>home</h1>");
}

TEST_P(FileServerTest, DirectoriesRedirectThenServeTheirIndex) {
  http_conn c(srv_->port());
  auto redirect = get(c, "/static/sub?x=1");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->header("location"), "/static/sub/?x=1");
  // The path is decoded for the file system and encoded again for Location.
  auto odd = get(c, "/static/a%20b%25%0D%0Ac");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->status, 301);
  EXPECT_EQ(odd->header("location"), "/static/a%20b%25%0D%0Ac/");
  auto index = get(c, "/static/sub/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<p>sub</p>");
  auto root = get(c, "/static/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->body, "<h1>home</h1>");
  auto empty = get(c, "/static/empty/");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 403);  // a directory without an index: no listing
}

// Mounted at the root, a path with leading slashes must not redirect to
// "//sub/", which a browser reads as the host "sub" (an open redirect).
TEST_P(FileServerTest, ADirectoryRedirectNeverNamesAnotherHost) {
  http::server root(testing::test_options(GetParam()));
  root.get("/*path", http::serve_files(dir_));
  root.start();
  http_conn c(root.port());
  for (const char* target : {"//sub", "///sub", "/%2fsub", "//sub?x=1"}) {
    if (!c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n")) FAIL() << target;
    auto r = c.read_reply();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 301) << target;
    const std::string want = std::string_view(target).ends_with("?x=1") ? "/sub/?x=1" : "/sub/";
    EXPECT_EQ(r->header("location"), want) << target;
  }
  root.stop();
}

TEST_P(FileServerTest, MissingHiddenAndSpecialFilesAre404) {
  http_conn c(srv_->port());
  for (const char* target : {"/static/nope.txt", "/static/.env", "/static/.git/config", "/static/fifo",
                             "/static/sub/site.css/x", "/static/%2e%2e%2fetc/passwd"}) {
    auto r = get(c, target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 404) << target;
  }
}

TEST_P(FileServerTest, DotSegmentsAboveTheRootNeverReachTheHandler) {
  http_conn c(srv_->port());
  auto r = get(c, "/static/../../etc/passwd");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_P(FileServerTest, CurrentCopiesGet304) {
  http_conn c(srv_->port());
  auto first = get(c, "/static/index.html");
  ASSERT_TRUE(first);
  const std::string etag = first->header("etag"), modified = first->header("last-modified");
  auto by_tag = get(c, "/static/index.html", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(by_tag);
  EXPECT_EQ(by_tag->status, 304);
  EXPECT_TRUE(by_tag->body.empty());
  EXPECT_EQ(by_tag->header("etag"), etag);
  auto by_date = get(c, "/static/index.html", "If-Modified-Since: " + modified + "\r\n");
  ASSERT_TRUE(by_date);
  EXPECT_EQ(by_date->status, 304);
  auto changed = get(c, "/static/index.html", "If-None-Match: \"stale\"\r\n");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_EQ(changed->body, "<h1>home</h1>");
}

TEST_P(FileServerTest, FailedPreconditionsGet412AndTheConnectionGoesOn) {
  http_conn c(srv_->port());
  auto fresh = get(c, "/static/index.html");
  ASSERT_TRUE(fresh);
  const std::string etag = fresh->header("etag");
  auto stale = get(c, "/static/index.html", "If-Match: \"not-it\"\r\n");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 412);
  auto same = get(c, "/static/index.html", "If-Match: " + etag + "\r\n");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200);
  EXPECT_EQ(same->body, "<h1>home</h1>");
  auto old = get(c, "/static/index.html", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 412);
}

TEST_P(FileServerTest, RangesGet206Or416) {
  http_conn c(srv_->port());
  auto head = get(c, "/static/big.bin", "Range: bytes=0-9\r\n");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(head->body, big_.substr(0, 10));
  EXPECT_EQ(head->header("content-range"), "bytes 0-9/1048576");
  auto tail = get(c, "/static/big.bin", "Range: bytes=-100\r\n");
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body, big_.substr(big_.size() - 100));
  auto beyond = get(c, "/static/big.bin", "Range: bytes=2000000-\r\n");
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->header("content-range"), "bytes */1048576");
  EXPECT_EQ(beyond->header("content-type"), "text/plain");  // the error's, not the file's
  // Range is a singleton field: two make it invalid, and it is ignored.
  auto twice = get(c, "/static/index.html", "Range: bytes=0-1\r\nRange: bytes=2-3\r\n");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 200);
  EXPECT_EQ(twice->body, "<h1>home</h1>");
  auto stale = get(c, "/static/index.html", "Range: bytes=0-3\r\nIf-Range: \"stale\"\r\n");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);  // the file changed: all of it
  EXPECT_EQ(stale->body, "<h1>home</h1>");
}

// Two ranges: one 206 whose multipart/byteranges body holds both parts
// (the second spans several reads), then the connection goes on.
TEST_P(FileServerTest, SeveralRangesGetAMultipartBody) {
  http_conn c(srv_->port());
  auto r = get(c, "/static/big.bin", "Range: bytes=0-9, 100000-299999\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_FALSE(r->has("content-range"));  // only the parts carry one
  const std::string type(r->header("content-type"));
  const std::string prefix = "multipart/byteranges; boundary=";
  ASSERT_EQ(type.substr(0, prefix.size()), prefix);
  const std::string b = type.substr(prefix.size());
  ASSERT_FALSE(b.empty());
  const std::string want = "--" + b + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-9/1048576\r\n\r\n" +
                           big_.substr(0, 10) + "\r\n--" + b +
                           "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 100000-299999/1048576\r\n\r\n" +
                           big_.substr(100000, 200000) + "\r\n--" + b + "--\r\n";
  EXPECT_EQ(r->header("content-length"), std::to_string(want.size()));
  EXPECT_TRUE(r->body == want) << r->body.size() << " bytes";

  auto head = get(c, "/static/big.bin", "Range: bytes=0-9,20-29\r\n", "HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 206);
  EXPECT_TRUE(head->body.empty());
  auto merged = get(c, "/static/index.html", "Range: bytes=0-3,2-5\r\n");  // overlapping: one part
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->status, 206);
  EXPECT_EQ(merged->header("content-range"), "bytes 0-5/13");
  EXPECT_EQ(merged->body, "<h1>ho");
}

TEST_P(FileServerTest, ALargeFileArrivesWholeAndPipelinedRequestsInOrder) {
  http_conn c(srv_->port());
  ASSERT_TRUE(c.send("GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /static/sub/site.css HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto big = c.read_reply();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 200);
  EXPECT_TRUE(big->body == big_) << "1 MiB body differs";
  auto css = c.read_reply();
  ASSERT_TRUE(css);
  EXPECT_EQ(css->body, "body{}");
}

INSTANTIATE_TEST_SUITE_P(Backends, FileServerTest, ::testing::Values(backend_choice::uring, backend_choice::epoll),
                         testing::backend_param_name{});

}  // namespace
}  // namespace ringlane
