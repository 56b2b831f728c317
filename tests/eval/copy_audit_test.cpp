// The copy audit's neighbour test (eval/copy_audit.h): an image near a crowded "hub" of training
// images is not counted as a copy of it, one as near to an isolated training image is.
#include "eval/copy_audit.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace skingan::eval {
namespace {

torch::Tensor points(std::vector<std::vector<float>> rows) {
  std::vector<torch::Tensor> t;
  for (const auto& r : rows) t.push_back(torch::tensor(r));
  return torch::stack(t);
}

TEST(CopyAudit, CountsImagesCloserToTheirTrainingImageThanItsNearestNeighbourIs) {
  // A and B crowd (each the other's neighbour at 0.2); C lies alone (nearest other: B at 9.8);
  // D at (10,10) (nearest other: C at 10).
  const torch::Tensor train = points({{0, 0}, {0.2f, 0}, {10, 0}, {10, 10}});
  // 0.5 from A, the hub: farther than A's neighbour, not inside. 0.5 from C: inside.
  const torch::Tensor synthetic = points({{0, 0.5f}, {10, 0.5f}});
  // 1 from A: not inside. (6,6): nearest D at 5.66 < 10: inside.
  const torch::Tensor test = points({{0, 1}, {6, 6}});
  const CopyAudit a = audit_copies(synthetic, train, test);
  EXPECT_EQ(a.inside_neighbour, 1);
  EXPECT_DOUBLE_EQ(a.synthetic_inside_share, 0.5);
  EXPECT_DOUBLE_EQ(a.real_inside_share, 0.5);
  // The fixed threshold (1st percentile of the test distances, 1 + 0.01 x 4.66) counts both
  // synthetic images alike: the hub's neighbour is what tells them apart.
  EXPECT_EQ(a.near_copies(), 2);
  const nlohmann::json j = a.to_json(2);
  EXPECT_DOUBLE_EQ(j.at("synthetic_inside_train_neighbour_share").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j.at("real_test_inside_train_neighbour_share").get<double>(), 0.5);

  // One training image has no neighbour: nothing is counted inside.
  const CopyAudit single = audit_copies(synthetic, points({{0, 0}}), test);
  EXPECT_EQ(single.inside_neighbour, 0);
  EXPECT_EQ(single.synthetic_inside_share, 0.0);
}

}  // namespace
}  // namespace skingan::eval
