/* enlightd [--mode normal|hang|garbage]: the guest's end of the enlightenment
 * channel (virtio-serial port org.convoy.enlight.0), between the host's
 * convoy-agent and the convoy_enlight kernel module (/proc/convoy_enlight).
 *
 * Requests are lines; answers are one line "OK ..." or "ERR <why>", where
 * "OK <n>" is followed by n bytes:
 *   HELLO            OK convoy-enlight proto=1 module=yes|no mode=MODE
 *   SNAPSHOT         OK <n> + the module's encoded snapshot (docs/guest-module.md)
 *   STATS            OK <n> + the module's stats text
 *   ARM <seconds>    OK armed: start the prefetch when the host hangs up within
 *                    that many seconds
 *   DISARM           OK disarmed
 *   PREFETCH         OK started: start the prefetch now
 *
 * Arming is how a migration signals the destination: the source agent stays
 * connected through the switch-over of a post-copy migration, and the
 * destination QEMU, where nobody is connected, tells the guest the host side
 * is closed the moment the VM resumes there (virtio-serial carries the
 * connection state across a migration). That hangup starts the prefetch.
 *
 * --mode hang and --mode garbage are fault injections for the tests: read
 * requests and never answer; answer with random bytes.
 * Console lines: "enlightd-ready ...", "enlightd prefetch-start ...",
 * "enlightd prefetch-done ...". */
#include <dirent.h>
#include <stdarg.h>
#include <pthread.h>
#include <sys/stat.h>

#include "common.h"

#define PORT_NAME "org.convoy.enlight.0"
#define PROC "/proc/convoy_enlight"

static const char* mode = "normal";
static int port_fd = -1;
static long fires_seen;

static int have_module(void) { return access(PROC "/control", W_OK) == 0; }

static int find_port(char* path, size_t size) {
  DIR* d = opendir("/sys/class/virtio-ports");
  struct dirent* e;
  int found = 0;
  if (!d) return 0;
  while (!found && (e = readdir(d)) != NULL) {
    char name_file[512], name[128] = "";
    if (e->d_name[0] == '.') continue;
    snprintf(name_file, sizeof(name_file), "/sys/class/virtio-ports/%s/name", e->d_name);
    FILE* f = fopen(name_file, "r");
    if (!f) continue;
    if (fgets(name, sizeof(name), f)) name[strcspn(name, "\n")] = '\0';
    fclose(f);
    if (strcmp(name, PORT_NAME) == 0) {
      snprintf(path, size, "/dev/%s", e->d_name);
      found = 1;
    }
  }
  closedir(d);
  return found;
}

static int write_all(int fd, const void* data, size_t n) {
  const char* p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads a whole file (procfs: size unknown in advance), NUL-terminated. */
static char* slurp(const char* path, size_t* len) {
  int fd = open(path, O_RDONLY);
  size_t cap = 1 << 16, n = 0;
  char* buf;
  if (fd < 0) return NULL;
  buf = malloc(cap);
  while (buf) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == cap - 1) {
      char* bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  close(fd);
  if (buf) buf[n] = '\0';
  *len = n;
  return buf;
}

static int control(const char* cmd) {
  int fd = open(PROC "/control", O_WRONLY);
  int rc = -1;
  if (fd < 0) return -errno;
  if (write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd)) rc = 0;
  else rc = -errno;
  close(fd);
  return rc;
}

static void reply(int fd, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int fd, const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  strcat(line, "\n");
  write_all(fd, line, strlen(line));
}

static void reply_blob(int fd, const char* data, size_t n) {
  char head[64];
  snprintf(head, sizeof(head), "OK %zu\n", n);
  if (write_all(fd, head, strlen(head)) == 0) write_all(fd, data, n);
}

static void reply_file(int fd, const char* path) {
  size_t n = 0;
  char* data = slurp(path, &n);
  if (!data) {
    reply(fd, "ERR cannot read %s: %s", path, strerror(errno));
    return;
  }
  reply_blob(fd, data, n);
  free(data);
}

static long stat_value(const char* text, const char* key) {
  const char* at = strstr(text, key);
  return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

/* Reports on the console when the module's prefetch ends. */
static void* watch_prefetch(void* arg) {
  (void)arg;
  for (int i = 0; i < 6000; i++) { /* at most 10 minutes */
    size_t n = 0;
    char* s = slurp(PROC "/stats", &n);
    if (s) {
      if (strstr(s, "prefetch_state done")) {
        const char* cats = strstr(s, "prefetch_category_done_ms");
        char line[256] = "";
        if (cats) sscanf(cats, "prefetch_category_done_ms %255[^\n]", line);
        char reason[16] = "none";
        const char* r = strstr(s, "trigger_reason ");
        if (r) sscanf(r, "trigger_reason %15s", reason);
        printf("enlightd prefetch-done t_ms=%lld started_at_ms=%ld ms=%ld trigger=%s "
               "fired_after_arm_ms=%ld touched=%ld skipped_free=%ld category_done_ms=%s\n",
               (long long)(now_ns() / NS_PER_MS), stat_value(s, "prefetch_started_at_ms "),
               stat_value(s, "prefetch_ms "), reason, stat_value(s, "trigger_fired_after_arm_ms "),
               stat_value(s, "prefetch_touched "), stat_value(s, "prefetch_skipped_free "),
               line);
        free(s);
        return NULL;
      }
      free(s);
    }
    sleep_ns(100 * NS_PER_MS);
  }
  return NULL;
}

static void start_prefetch(int fd, const char* why) {
  int rc = control("prefetch");
  if (rc != 0) {
    printf("enlightd prefetch-failed why=%s error=%s\n", why, strerror(-rc));
    if (fd >= 0) reply(fd, "ERR prefetch: %s", strerror(-rc));
    return;
  }
  printf("enlightd prefetch-start t_ms=%lld why=%s\n", (long long)(now_ns() / NS_PER_MS), why);
  if (fd >= 0) reply(fd, "OK started");
  pthread_t t;
  if (pthread_create(&t, NULL, watch_prefetch, NULL) == 0) pthread_detach(t);
}

/* The module's trigger thread normally notices the hangup first; this tells it
 * in case it did not, and reports a prefetch that started. */
static void report_hangup(void) {
  size_t n = 0;
  if (!have_module() || strcmp(mode, "normal") != 0) return;
  control("hangup"); /* a no-op unless armed and not fired */
  char* s = slurp(PROC "/stats", &n);
  const long fires = s ? stat_value(s, "trigger_fires ") : 0;
  if (fires > fires_seen) {
    fires_seen = fires;
    printf("enlightd prefetch-start t_ms=%lld why=hangup fired_after_arm_ms=%ld\n",
           (long long)(now_ns() / NS_PER_MS), stat_value(s, "trigger_fired_after_arm_ms "));
    pthread_t t;
    if (pthread_create(&t, NULL, watch_prefetch, NULL) == 0) pthread_detach(t);
  }
  free(s);
}

static void garbage(int fd) {
  static uint64_t x = 88172645463325252ULL;
  char buf[4096];
  for (size_t i = 0; i < sizeof(buf); i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = (char)x;
  }
  /* A plausible frame around nonsense, then bare nonsense. */
  reply_blob(fd, buf, sizeof(buf));
  write_all(fd, buf, 100);
}

static void handle(int fd, char* line) {
  line[strcspn(line, "\r")] = '\0';
  if (strcmp(mode, "hang") == 0) return;
  if (strcmp(mode, "garbage") == 0) {
    garbage(fd);
    return;
  }
  if (strcmp(line, "HELLO") == 0) {
    reply(fd, "OK convoy-enlight proto=1 module=%s mode=%s", have_module() ? "yes" : "no", mode);
  } else if (!have_module()) {
    reply(fd, "ERR no guest module: %s is missing (convoy_enlight.ko not loaded)", PROC);
  } else if (strcmp(line, "SNAPSHOT") == 0) {
    int rc = control("snapshot");
    if (rc != 0) reply(fd, "ERR snapshot: %s", strerror(-rc));
    else reply_file(fd, PROC "/snapshot");
  } else if (strcmp(line, "STATS") == 0) {
    reply_file(fd, PROC "/stats");
  } else if (strncmp(line, "ARM ", 4) == 0) {
    long s = strtol(line + 4, NULL, 10);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "arm %d %ld", port_fd, s);
    int rc = s <= 0 || s > 3600 ? -EINVAL : control(cmd);
    if (rc != 0) reply(fd, "ERR ARM: %s", rc == -EINVAL ? "seconds must be 1..3600" : strerror(-rc));
    else reply(fd, "OK armed");
  } else if (strcmp(line, "DISARM") == 0) {
    int rc = control("disarm");
    if (rc != 0) reply(fd, "ERR DISARM: %s", strerror(-rc));
    else reply(fd, "OK disarmed");
  } else if (strcmp(line, "PREFETCH") == 0) {
    start_prefetch(fd, "request");
  } else {
    reply(fd, "ERR unknown request '%.64s'", line);
  }
}

int main(int argc, char** argv) {
  char port[300], buf[1024];
  size_t have = 0;
  sigset_t sigio;
  workload_init();
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) mode = argv[++i];
  }
  for (int i = 0; !find_port(port, sizeof(port)); i++) {
    if (i == 100) {
      printf("enlightd: no virtio-serial port named %s; exiting\n", PORT_NAME);
      return 1;
    }
    sleep_ns(100 * NS_PER_MS);
  }
  int fd = port_fd = open(port, O_RDWR);
  if (fd < 0) {
    printf("enlightd: cannot open %s: %s\n", port, strerror(errno));
    return 1;
  }
  /* SIGIO tells us when the host side connects; until then reads return 0. */
  sigemptyset(&sigio);
  sigaddset(&sigio, SIGIO);
  sigprocmask(SIG_BLOCK, &sigio, NULL);
  fcntl(fd, F_SETOWN, getpid());
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
  printf("enlightd-ready port=%s module=%s mode=%s\n", port, have_module() ? "yes" : "no", mode);

  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      printf("enlightd: read %s: %s\n", port, strerror(errno));
      sleep_ns(NS_PER_S);
      continue;
    }
    if (n == 0) { /* the host side is not connected (any more) */
      have = 0;
      report_hangup();
      struct timespec wait = {.tv_sec = 1};
      sigtimedwait(&sigio, NULL, &wait);
      continue;
    }
    have += (size_t)n;
    buf[have] = '\0';
    char* start = buf;
    char* nl;
    while ((nl = strchr(start, '\n')) != NULL) {
      *nl = '\0';
      handle(fd, start);
      start = nl + 1;
    }
    have = strlen(start);
    memmove(buf, start, have);
    if (have == sizeof(buf) - 1) have = 0; /* a line that long is no request */
  }
}
