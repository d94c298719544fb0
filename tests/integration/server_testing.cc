#include "tests/integration/server_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "core/util/status_macros.h"

namespace synesthesia::testing {

server::ServerOptions LoopbackServerOptions(const std::string& model_directory) {
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.metrics_address = "127.0.0.1:0";
  options.engine.colorizer.model_directory = model_directory;
  options.version = "test";
  options.service.version = "test";
  options.shutdown_grace_period = absl::Seconds(30);
  return options;
}

std::string TestServer::address() const { return absl::StrCat("127.0.0.1:", server->port()); }

std::string TestServer::ScrapeMetrics() const {
  // A minimal HTTP/1.0 GET against the loopback metrics port.
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server->metrics_port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string body;
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(socket_fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      for (ssize_t n; (n = read(socket_fd, buffer, sizeof(buffer))) > 0;) body.append(buffer, n);
    }
  }
  close(socket_fd);
  return body;
}

absl::StatusOr<TestServer> StartServer(server::ServerOptions options, bool load) {
  TestServer test_server;
  ASSIGN_OR_RETURN(test_server.server, server::Server::Create(std::move(options)));
  if (load) RETURN_IF_ERROR(test_server.server->LoadModel());
  test_server.channel =
      grpc::CreateChannel(test_server.address(), grpc::InsecureChannelCredentials());
  test_server.stub = v1::Synesthesia::NewStub(test_server.channel);
  return test_server;
}

grpc::Status CallRaw(grpc::Channel& channel, const std::string& method, const std::string& bytes) {
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status result) {
                   status = std::move(result);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

double MetricValue(const std::string& metrics, const std::string& sample) {
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(sample + " ", 0) == 0) {
      double value = 0;
      if (absl::SimpleAtod(line.substr(sample.size() + 1), &value)) return value;
    }
  }
  return -1;
}

}  // namespace synesthesia::testing
