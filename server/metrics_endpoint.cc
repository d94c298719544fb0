#include "server/metrics_endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "glog/logging.h"
#include "prometheus/text_serializer.h"
#include "server/address.h"

namespace synesthesia::server {
namespace {

// A scrape request is a few hundred bytes; anything longer is not one.
constexpr size_t kMaxRequestBytes = 8192;
// How long a client may take to send its request or read the response.
constexpr int kClientTimeoutMs = 5000;

// Waits until FD is ready for EVENTS; false on timeout or error.
bool WaitFor(int fd, short events) {
  pollfd entry{fd, events, 0};
  return poll(&entry, 1, kClientTimeoutMs) == 1 && (entry.revents & events) != 0;
}

void WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    if (!WaitFor(fd, POLLOUT)) return;
    const ssize_t written = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (written <= 0) return;
    data.remove_prefix(static_cast<size_t>(written));
  }
}

std::string Response(absl::string_view status, absl::string_view content_type,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(address, "127.0.0.1:9464");
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address ", host_port.status().message()));
  }
  const std::string& host = host_port->host;
  const int requested_port = host_port->port;

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  const std::string port_text = std::to_string(requested_port);
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &resolved) != 0 ||
      resolved == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("metrics host '", host,
                                                   "' is not an IP address; use for example "
                                                   "127.0.0.1 or [::1]"));
  }
  const int fd = socket(resolved->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
            bind(fd, resolved->ai_addr, resolved->ai_addrlen) == 0 && listen(fd, 16) == 0;
  const int error = errno;
  freeaddrinfo(resolved);
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ok = ok && getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0;
  if (!ok) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address, ": ",
                                               std::strerror(error),
                                               "; is the port in use or the address invalid?"));
  }
  const int port = bound.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(fd, port, std::move(collectables)));
}

MetricsEndpoint::MetricsEndpoint(int listen_fd, int port,
                                 std::vector<std::shared_ptr<prometheus::Collectable>> collectables)
    : listen_fd_(listen_fd), port_(port), collectables_(std::move(collectables)) {
  if (pipe2(wake_fds_, O_CLOEXEC) != 0) PLOG(FATAL) << "pipe2 for the metrics endpoint failed";
  thread_ = std::thread([this] { Serve(); });
}

MetricsEndpoint::~MetricsEndpoint() {
  const char byte = 0;
  (void)!write(wake_fds_[1], &byte, 1);
  thread_.join();
  close(wake_fds_[0]);
  close(wake_fds_[1]);
  close(listen_fd_);
}

void MetricsEndpoint::Serve() {
  while (true) {
    pollfd entries[2] = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (poll(entries, 2, -1) < 0) {
      if (errno == EINTR) continue;
      PLOG(ERROR) << "metrics endpoint poll failed; metrics are no longer served";
      return;
    }
    if (entries[1].revents != 0) return;
    if ((entries[0].revents & POLLIN) == 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) continue;
    HandleConnection(client);
    close(client);
  }
}

void MetricsEndpoint::HandleConnection(int fd) {
  // Read the request head; only its first line matters.
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
    if (!WaitFor(fd, POLLIN)) return;
    const ssize_t received = recv(fd, buffer, sizeof(buffer), 0);
    if (received <= 0) return;
    request.append(buffer, static_cast<size_t>(received));
  }
  const absl::string_view line = absl::string_view(request).substr(0, request.find("\r\n"));
  const bool is_get = absl::StartsWith(line, "GET ");
  const absl::string_view target = is_get ? line.substr(4, line.find(' ', 4) - 4) : "";
  if (!is_get) {
    WriteAll(fd, Response("405 Method Not Allowed", "text/plain", "use GET /metrics\n"));
  } else if (target != "/metrics" && !absl::StartsWith(target, "/metrics?")) {
    WriteAll(fd, Response("404 Not Found", "text/plain", "metrics are at /metrics\n"));
  } else {
    WriteAll(fd, Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", RenderMetrics()));
  }
}

std::string MetricsEndpoint::RenderMetrics() const {
  std::vector<prometheus::MetricFamily> families;
  for (const std::shared_ptr<prometheus::Collectable>& collectable : collectables_) {
    std::vector<prometheus::MetricFamily> collected = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace synesthesia::server
