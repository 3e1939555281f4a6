/* Framed messages between the helper and TypeScript over one stream socket:
 *   frame := u32:len payload[len]; payload := field ("\0" field)*, the first field names it. */
#ifndef BERTH_CHANNEL_H
#define BERTH_CHANNEL_H

#include <stddef.h>

int channel_send(int fd, const char *const *fields, size_t n);
/* Reads one frame into a malloc'd buffer; returns its length, or -1 (errno set; 0 = EOF). */
long channel_recv(int fd, char **out);

#endif
