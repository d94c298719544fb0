#include "core/projection/projection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::projection {
namespace {

using ::synesthesia::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(KindName, NamesEveryKind) {
  EXPECT_EQ(KindName(Kind::kPca), "pca");
  EXPECT_EQ(KindName(Kind::kBasis), "basis");
  EXPECT_EQ(KindName(Kind::kSemantic), "semantic");
}

TEST(ParseKind, RoundTripsKindName) {
  for (const Kind kind : {Kind::kPca, Kind::kBasis, Kind::kSemantic}) {
    ASSERT_OK_AND_ASSIGN(const Kind parsed, ParseKind(KindName(kind)));
    EXPECT_EQ(parsed, kind);
  }
}

TEST(ParseKind, RejectsUnknownNameListingChoices) {
  for (const std::string name : {"", "PCA", "pca ", "colour", "semantics"}) {
    EXPECT_THAT(ParseKind(name),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("\"" + name + "\""), HasSubstr("pca, basis or semantic"))))
        << name;
  }
}

TEST(ProjectionsHas, PcaIsAlwaysAvailable) {
  Projections projections;
  EXPECT_TRUE(projections.Has(Kind::kPca));
  EXPECT_FALSE(projections.Has(Kind::kBasis));
  EXPECT_FALSE(projections.Has(Kind::kSemantic));

  projections.basis.emplace();
  projections.semantic.emplace();
  EXPECT_TRUE(projections.Has(Kind::kBasis));
  EXPECT_TRUE(projections.Has(Kind::kSemantic));
}

}  // namespace
}  // namespace synesthesia::projection
