#include "mqtt/detail/mosquitto_common.hpp"

#include <mosquitto.h>

#include <mutex>
#include <string>

namespace stratus::mqtt::detail {

void lib_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

void tune_socket_options(::mosquitto* mosq) {
  mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_int_option(mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
}

Error to_error(int rc, std::string_view what) {
  errc code = errc::internal;
  switch (rc) {
    case MOSQ_ERR_NO_CONN:
    case MOSQ_ERR_CONN_LOST:
    case MOSQ_ERR_CONN_REFUSED:
      code = errc::unavailable;
      break;
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_MALFORMED_UTF8:
    case MOSQ_ERR_OVERSIZE_PACKET:
    case MOSQ_ERR_QOS_NOT_SUPPORTED:
      code = errc::invalid_argument;
      break;
    case MOSQ_ERR_NOMEM:
      code = errc::resource_exhausted;
      break;
    default:
      break;
  }
  return Error{code, "mqtt: " + std::string(what) + ": " + mosquitto_strerror(rc)};
}

}  // namespace stratus::mqtt::detail
