// Extended attributes (`<sys/xattr.h>`), which the Glibc module does not include: the local-directory
// bucket keeps an object's metadata in them.
#ifndef CXATTR_H
#define CXATTR_H
#if defined(__linux__)
#include <sys/xattr.h>
#endif
#endif
