"""A one-line progress display on stderr: the batch, the loss terms, samples/s and the time
left. Uses tqdm when it is installed; otherwise writes the line itself."""
import sys
import time


class Progress:
    """Shown only on a terminal: in a log file a redrawn line is noise."""

    def __init__(self, total, desc, enabled=True):
        enabled = enabled and sys.stderr.isatty()
        self.total, self.desc, self.enabled, self.start, self.done = total, desc, enabled, time.perf_counter(), 0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc, leave=False, file=sys.stderr)
            except ImportError:
                pass

    def update(self, samples, terms):
        self.done += 1
        if not self.enabled:
            return
        rate = samples * self.done / max(time.perf_counter() - self.start, 1e-9)
        text = " ".join(f"{k} {v:.4g}" for k, v in terms.items())
        if self.bar is not None:
            self.bar.set_postfix_str(f"{text} {rate:.0f}/s")
            self.bar.update(1)
            return
        left = (self.total - self.done) * (time.perf_counter() - self.start) / self.done
        sys.stderr.write(f"\r{self.desc} {self.done}/{self.total} {text}  {rate:.0f} samples/s  {left:.0f} s left  ")
        sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()
