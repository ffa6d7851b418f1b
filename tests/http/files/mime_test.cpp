#include "http/files/mime.hpp"

#include <gtest/gtest.h>

namespace ringlane::http {
namespace {

TEST(Mime, ByExtensionCaseInsensitively) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/srv/www/INDEX.HTM"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a/b/app.min.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("logo.PNG"), "image/png");
  EXPECT_EQ(content_type_for("font.woff2"), "font/woff2");
}

TEST(Mime, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("archive.xyz"), "application/octet-stream");
  EXPECT_EQ(content_type_for("trailing."), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.html/file"), "application/octet-stream");  // the dot is in a directory
}

}  // namespace
}  // namespace ringlane::http
