// The server's lenient request messages must stay wire-compatible with the
// public contract: same field numbers, names and types, with bytes only
// where the contract has string.
#include <string>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "server/wire/request_wire.pb.h"
#include "synesthesia/v1/synesthesia.pb.h"

namespace synesthesia {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

void ExpectWireCompatible(const Descriptor& contract, const Descriptor& lenient) {
  SCOPED_TRACE(contract.full_name());
  ASSERT_EQ(contract.field_count(), lenient.field_count());
  for (int i = 0; i < contract.field_count(); ++i) {
    const FieldDescriptor& field = *contract.field(i);
    const FieldDescriptor* mirror = lenient.FindFieldByNumber(field.number());
    ASSERT_NE(mirror, nullptr) << field.name();
    EXPECT_EQ(mirror->name(), field.name());
    EXPECT_EQ(mirror->is_repeated(), field.is_repeated()) << field.name();
    if (field.type() == FieldDescriptor::TYPE_STRING) {
      EXPECT_EQ(mirror->type(), FieldDescriptor::TYPE_BYTES) << field.name();
    } else {
      EXPECT_EQ(mirror->type(), field.type()) << field.name();
    }
    if (field.type() == FieldDescriptor::TYPE_ENUM) {
      EXPECT_EQ(mirror->enum_type(), field.enum_type()) << field.name();
    }
    if (field.type() == FieldDescriptor::TYPE_MESSAGE) {
      ExpectWireCompatible(*field.message_type(), *mirror->message_type());
    }
  }
}

TEST(LenientWire, MirrorsEveryRequestOfTheContract) {
  ExpectWireCompatible(*v1::ColorizeRequest::descriptor(), *v1::wire::ColorizeRequest::descriptor());
  ExpectWireCompatible(*v1::ColorizeBatchRequest::descriptor(),
                       *v1::wire::ColorizeBatchRequest::descriptor());
  ExpectWireCompatible(*v1::ColorizeStreamRequest::descriptor(),
                       *v1::wire::ColorizeStreamRequest::descriptor());
}

TEST(LenientWire, ContractMessagesParseAsLenientOnes) {
  v1::ColorizeStreamRequest request;
  request.set_message_id("m");
  request.set_delta("héllo");
  request.set_final(true);
  request.mutable_options()->set_projection(v1::PROJECTION_BASIS);
  request.mutable_options()->set_background("#ffffff");
  request.mutable_options()->set_min_contrast(4.5);
  v1::wire::ColorizeStreamRequest lenient;
  ASSERT_TRUE(lenient.ParseFromString(request.SerializeAsString()));
  EXPECT_EQ(lenient.message_id(), "m");
  EXPECT_EQ(lenient.delta(), "héllo");
  EXPECT_TRUE(lenient.final());
  EXPECT_EQ(lenient.options().projection(), v1::PROJECTION_BASIS);
  EXPECT_EQ(lenient.options().background(), "#ffffff");
  EXPECT_EQ(lenient.options().min_contrast(), 4.5);
}

}  // namespace
}  // namespace synesthesia
