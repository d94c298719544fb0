// A minimal program against the installed synesthesia::client: colours a
// text with a unary call and with a stream, and prints the spans.
//
// Usage: consumer HOST:PORT
#include <iostream>
#include <memory>
#include <optional>

#include "synesthesia/client.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer HOST:PORT\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<synesthesia::Client>> client = synesthesia::Client::Create(argv[1]);
  if (!client.ok()) {
    std::cerr << "cannot create the client: " << client.status() << "\n";
    return 1;
  }

  synesthesia::v1::ColorizeRequest request;
  request.set_text("A yellow banana");
  absl::StatusOr<synesthesia::v1::ColorizeResponse> response = (*client)->Colorize(request);
  if (!response.ok()) {
    std::cerr << "Colorize failed: " << response.status() << "\n";
    return 1;
  }
  for (const synesthesia::v1::Span& span : response->spans()) {
    std::cout << "unary " << span.text() << " " << span.hex() << "\n";
  }

  absl::StatusOr<std::unique_ptr<synesthesia::StreamSession>> session = (*client)->OpenStream();
  if (!session.ok()) {
    std::cerr << "OpenStream failed: " << session.status() << "\n";
    return 1;
  }
  if (!(*session)->WriteDelta("m", "deep ").ok() || !(*session)->WriteDelta("m", "sea", true).ok()) {
    std::cerr << "stream write failed: " << (*session)->Finish() << "\n";
    return 1;
  }
  (*session)->WritesDone();
  while (std::optional<synesthesia::v1::ColorizeStreamResponse> delta = (*session)->Read()) {
    for (const synesthesia::v1::Span& span : delta->spans()) {
      std::cout << "stream " << span.text() << " " << span.hex() << "\n";
    }
  }
  const absl::Status status = (*session)->Finish();
  if (!status.ok()) {
    std::cerr << "ColorizeStream failed: " << status << "\n";
    return 1;
  }
  return 0;
}
