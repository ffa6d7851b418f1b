// conditional.hpp -- validators and the preconditions that use them (RFC
// 9110 8.8, 13): ETag and Last-Modified out; If-Match, If-Unmodified-Since,
// If-None-Match, If-Modified-Since and If-Range in.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace ringlane::http {

struct request_head;

// A strong validator from what changes when the file does, as nginx makes
// it -- "\"<mtime in hex>-<size in hex>\"" -- plus the mtime's nanoseconds
// when the file system keeps them ("\"<s>.<ns>-<size>\""), so a file
// rewritten at the same size within one second still gets a new tag.
std::string make_etag(std::time_t mtime, std::uint64_t size, long mtime_ns = 0);

// An HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime;
// RFC 9110 5.6.7); nullopt for anything else (a precondition we cannot
// read is one we ignore: the client gets the full response). The weekday
// is not checked against the date.
std::optional<std::time_t> parse_http_date(std::string_view s) noexcept;

// If-Match / If-Unmodified-Since (RFC 9110 13.1.1, 13.1.4), evaluated
// first (13.2.2): true when the client's condition fails and 412 is the
// answer. If-Match, when present, decides alone; its comparison is the
// strong one ("*" matches any file).
bool precondition_failed(const request_head& req, std::string_view etag, std::time_t mtime) noexcept;

// If-None-Match / If-Modified-Since for GET and HEAD: true when the client's
// copy is current and 304 is the answer. If-None-Match, when present,
// decides alone (13.2.2); its comparison is the weak one.
bool not_modified(const request_head& req, std::string_view etag, std::time_t mtime) noexcept;

// If-Range: may the Range field be honoured? Yes without If-Range; else
// only if it names this exact (strong) ETag, or this Last-Modified date
// while that date is a strong validator: at least a second before `now`
// (RFC 9110 13.1.5, 8.8.2.2 -- within its own second the file may change
// again under the same date).
bool range_still_valid(const request_head& req, std::string_view etag, std::time_t mtime, std::time_t now) noexcept;

}  // namespace ringlane::http
