/*  common/entropy.h - libsodium's random bytes, drawn from the kernel a
 *  kilobyte at a time.
 *
 *  libsodium asks the kernel (getrandom) on every randombytes_buf call.
 *  Intake draws a few bytes several times per application (the id's random
 *  part, the salt of each history record, a token): five system calls per
 *  application, each one costly on a virtual machine.  entropy_install
 *  gives libsodium an implementation that takes 1 KiB from getrandom into
 *  a buffer of the calling thread and hands it out: the same kernel
 *  randomness, one call per kilobyte.  Bytes handed out are wiped from the
 *  buffer; a child made by fork starts with an empty one, so parent and
 *  child never share a byte.  Everything that uses libsodium's randombytes
 *  in the process goes through it, ZeroMQ's CURVE handshakes included. */
#ifndef ESSP_COMMON_ENTROPY_H
#define ESSP_COMMON_ENTROPY_H

/*  Installs the buffered implementation; call it before sodium_init and
 *  before any thread starts.  A second call does nothing. */
void entropy_install(void);

#endif
