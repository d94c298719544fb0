// An in-process Synesthesia server on 127.0.0.1:0 with a real channel and
// stub, for integration tests.
#ifndef SYNESTHESIA_TESTS_INTEGRATION_SERVER_TESTING_H_
#define SYNESTHESIA_TESTS_INTEGRATION_SERVER_TESTING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "server/server.h"
#include "synesthesia/v1/synesthesia.grpc.pb.h"

namespace synesthesia::testing {

// Options for a server on 127.0.0.1:0 with metrics on 127.0.0.1:0, serving
// MODEL_DIRECTORY.
server::ServerOptions LoopbackServerOptions(const std::string& model_directory);

struct TestServer {
  std::unique_ptr<server::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Synesthesia::Stub> stub;

  std::string address() const;
  // The text of the metrics endpoint, fetched over HTTP.
  std::string ScrapeMetrics() const;
};

// Starts a server with OPTIONS and, when LOAD is true, loads its model.
absl::StatusOr<TestServer> StartServer(server::ServerOptions options, bool load = true);

// Sends raw request bytes to METHOD (for example
// "/synesthesia.v1.Synesthesia/Colorize") and returns the status.
grpc::Status CallRaw(grpc::Channel& channel, const std::string& method, const std::string& bytes);

// The value of the sample NAME (with its labels, exactly as exposed, for
// example `synesthesia_requests_total{code="OK",method="Colorize"}`) in the
// Prometheus text METRICS, or -1 when absent.
double MetricValue(const std::string& metrics, const std::string& sample);

}  // namespace synesthesia::testing

#endif  // SYNESTHESIA_TESTS_INTEGRATION_SERVER_TESTING_H_
