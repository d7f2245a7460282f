// Proves free-port discovery and the readiness probe. How: real loopback sockets.
#include "broker/ports.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace stratus::broker {
namespace {

using namespace std::chrono_literals;

TEST(Ports, PickedPortIsFreeAndProbeSeesAListener) {
  const auto port = pick_free_port("127.0.0.1");
  ASSERT_TRUE(port.has_value()) << port.error().message();
  EXPECT_GT(*port, 0);
  EXPECT_FALSE(tcp_accepts("127.0.0.1", *port, 200ms));

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(*port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  EXPECT_TRUE(tcp_accepts("127.0.0.1", *port, 1000ms));
  ::close(fd);
}

TEST(Ports, BadAddressIsAnError) {
  EXPECT_FALSE(pick_free_port("not-an-address").has_value());
  EXPECT_FALSE(tcp_accepts("not-an-address", 1, 100ms));
}

}  // namespace
}  // namespace stratus::broker
