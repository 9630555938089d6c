#pragma once
// TLS (--tls-cert, --tls-key): OpenSSL through Beast. A TLS connection is this stream
// from its handshake to its end, WebSocket sessions included.

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <string>

namespace presenced::http {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// A server context for the PEM certificate chain and private key in these files: TLS 1.2
// and 1.3 only, the server's cipher order. Throws std::runtime_error with the reason
// (a missing file, a key that does not match the certificate).
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file);

}  // namespace presenced::http
