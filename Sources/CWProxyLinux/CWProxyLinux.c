// Everything in this target is in the header (static inline); a C target needs one source file.
#include "CWProxyLinux.h"
