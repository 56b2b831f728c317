#include <gtest/gtest.h>

#include "core/hash.h"

TEST(Hash, Fnv1aKnownValues) {
  // Reference values of FNV-1a 64 from the algorithm's published test vectors.
  EXPECT_EQ(skingan::hash_hex(""), "cbf29ce484222325");
  EXPECT_EQ(skingan::hash_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(skingan::hash_hex("foobar"), "85944171f73967e8");
}
