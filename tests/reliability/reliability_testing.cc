#include "tests/reliability/reliability_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/testing/model_fixtures.h"

namespace synesthesia::testing {

std::shared_ptr<grpc::Channel> SpawnedServer::NewChannel() const {
  return grpc::CreateChannel(process->address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<v1::Synesthesia::Stub> SpawnedServer::NewStub() const {
  return v1::Synesthesia::NewStub(NewChannel());
}

std::string SpawnedServer::ScrapeMetrics() const {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(metrics_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[8192];
      for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

double SpawnedServer::Metric(const std::string& sample) const {
  std::istringstream lines(ScrapeMetrics());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(sample + " ", 0) == 0) {
      double value = 0;
      if (absl::SimpleAtod(line.substr(sample.size() + 1), &value)) return value;
    }
  }
  return -1;
}

double SpawnedServer::AwaitMetric(const std::string& sample, double value,
                                  absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  double seen = Metric(sample);
  while (seen != value && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
    seen = Metric(sample);
  }
  return seen;
}

int64_t SpawnedServer::ResidentKib() const {
  std::ifstream status(absl::StrCat("/proc/", process->process().pid(), "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = -1;
      std::istringstream fields(line.substr(6));
      fields >> kib;
      return kib;
    }
  }
  return -1;
}

absl::StatusOr<SpawnedServer> SpawnServer(const std::vector<std::string>& extra_flags) {
  static const absl::StatusOr<std::string> model =
      MakeTinyModelWithProjections("reliability-model");
  if (!model.ok()) return model.status();

  SpawnedServer server;
  server.metrics_port = UnusedLoopbackPort();
  std::vector<std::string> flags = {absl::StrCat("--metrics_address=127.0.0.1:", server.metrics_port)};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = ServerProcess::Start(*model, flags);
  if (!process.ok()) return process.status();
  server.process = *std::move(process);
  return server;
}

grpc::Status CallRaw(grpc::Channel& channel, const std::string& method, const std::string& bytes,
                     absl::Duration timeout) {
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  grpc::Status result;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) {
                   std::lock_guard<std::mutex> lock(mutex);
                   result = std::move(status);
                   done = true;
                   done_signal.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mutex);
  done_signal.wait(lock, [&] { return done; });
  return result;
}

grpc::Status StreamRaw(grpc::Channel& channel, const std::vector<std::string>& requests,
                       absl::Duration timeout) {
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, "/synesthesia.v1.Synesthesia/ColorizeStream", &queue);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  queue.Next(&tag, &ok);
  for (const std::string& bytes : requests) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    queue.Next(&tag, &ok);
    if (!ok) break;
  }
  call->WritesDone(reinterpret_cast<void*>(3));
  queue.Next(&tag, &ok);
  // Read responses until the server ends the stream, then its status.
  grpc::ByteBuffer response;
  do {
    call->Read(&response, reinterpret_cast<void*>(4));
    queue.Next(&tag, &ok);
  } while (ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

}  // namespace synesthesia::testing
