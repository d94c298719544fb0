// TLS, mutual TLS and bearer-token authentication of an in-process server.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/server_testing.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// A throwaway CA with a server certificate for 127.0.0.1 and a client
// certificate, made with the openssl command-line tool.
class Certificates {
 public:
  static const Certificates& Get() {
    static const Certificates* certificates = new Certificates();
    return *certificates;
  }

  std::string Path(const std::string& name) const { return directory_ + "/" + name; }
  std::string Pem(const std::string& name) const { return ReadFile(Path(name)); }
  bool ok() const { return ok_; }

 private:
  Certificates() : directory_(testing::ScratchDirectory("certificates")) {
    std::ofstream(Path("server.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script = absl::StrCat(
        "cd ", directory_, " && ",
        "openssl req -x509 ", key, " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca && ",
        "openssl req ", key, " -keyout server.key -out server.csr -subj /CN=localhost && ",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ",
        "-extfile server.ext -out server.pem && ",
        "openssl req ", key, " -keyout client.key -out client.csr -subj /CN=client && ",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ",
        "-out client.pem");
    ok_ = std::system(absl::StrCat(script, " > openssl.log 2>&1").c_str()) == 0;
  }

  std::string directory_;
  bool ok_ = false;
};

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Certificates::Get().ok())
        << "openssl failed; see " << Certificates::Get().Path("openssl.log");
  }

  static server::ServerOptions Options() {
    return testing::LoopbackServerOptions(testing::TestDataPath("distilbert-tiny"));
  }

  static grpc::Status CallColorize(const std::shared_ptr<grpc::Channel>& channel,
                                   const std::string& token = "") {
    auto stub = v1::Synesthesia::NewStub(channel);
    v1::ColorizeRequest request;
    request.set_text("red");
    v1::ColorizeResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return stub->Colorize(&context, request, &response);
  }

  static std::shared_ptr<grpc::Channel> TlsChannel(int port, bool with_client_certificate) {
    const Certificates& certificates = Certificates::Get();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = certificates.Pem("ca.pem");
    if (with_client_certificate) {
      ssl.pem_private_key = certificates.Pem("client.key");
      ssl.pem_cert_chain = certificates.Pem("client.pem");
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(ssl));
  }
};

TEST_F(SecurityTest, TlsServerAcceptsTlsClients) {
  server::ServerOptions options = Options();
  options.tls.certificate_file = Certificates::Get().Path("server.pem");
  options.tls.private_key_file = Certificates::Get().Path("server.key");
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));

  const grpc::Status secure = CallColorize(TlsChannel(server.server->port(), false));
  EXPECT_TRUE(secure.ok()) << secure.error_message();
  const grpc::Status plaintext = CallColorize(server.channel);
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, MutualTlsRequiresAClientCertificate) {
  server::ServerOptions options = Options();
  options.tls.certificate_file = Certificates::Get().Path("server.pem");
  options.tls.private_key_file = Certificates::Get().Path("server.key");
  options.tls.client_ca_file = Certificates::Get().Path("ca.pem");
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));

  const grpc::Status with_certificate = CallColorize(TlsChannel(server.server->port(), true));
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  const grpc::Status without = CallColorize(TlsChannel(server.server->port(), false));
  EXPECT_EQ(without.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, BadTlsSettingsAreRejectedAtStartUp) {
  server::ServerOptions options = Options();
  options.tls.certificate_file = Certificates::Get().Path("server.pem");
  EXPECT_THAT(server::Server::Create(options),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));
  options.tls.private_key_file = "/nonexistent/server.key";
  EXPECT_THAT(server::Server::Create(options),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("/nonexistent/server.key")));
  server::ServerOptions ca_only = Options();
  ca_only.tls.client_ca_file = Certificates::Get().Path("ca.pem");
  EXPECT_THAT(server::Server::Create(ca_only),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs TLS")));
}

TEST_F(SecurityTest, BearerTokenGuardsEveryCallButHealth) {
  server::ServerOptions options = Options();
  options.service.bearer_token = "s3cret-token";
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));

  const grpc::Status missing = CallColorize(server.channel);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("authorization: Bearer"));
  EXPECT_EQ(CallColorize(server.channel, "s3cret-tokeX").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallColorize(server.channel, "s3cret").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status right = CallColorize(server.channel, "s3cret-token");
  EXPECT_TRUE(right.ok()) << right.error_message();

  // Model info is guarded like colouring.
  auto stub = v1::Synesthesia::NewStub(server.channel);
  v1::ModelInfo info;
  grpc::ClientContext info_context;
  EXPECT_EQ(stub->GetModelInfo(&info_context, v1::GetModelInfoRequest(), &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Health stays open for load balancers and probes.
  auto health = grpc::health::v1::Health::NewStub(server.channel);
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext health_context;
  ASSERT_TRUE(
      health->Check(&health_context, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace synesthesia
