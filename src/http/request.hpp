#pragma once
// A parsed request as the server holds it: header fields and body in the request's arena.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory_resource>
#include <string>

namespace presenced::http {

using ArenaAllocator = std::pmr::polymorphic_allocator<char>;
using RequestBody = boost::beast::http::basic_string_body<char, std::char_traits<char>, ArenaAllocator>;
using Request = boost::beast::http::request<RequestBody, boost::beast::http::basic_fields<ArenaAllocator>>;

}  // namespace presenced::http
