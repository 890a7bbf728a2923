// libcap (Debian libcap-dev): POSIX capabilities for the privilege drop after binding.
#include <sys/capability.h>
