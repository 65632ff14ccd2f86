#include "gateway/core/thread_name.h"

#include <pthread.h>

namespace shaobing {

void nameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace shaobing
