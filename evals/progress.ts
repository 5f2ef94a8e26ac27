import cliProgress from 'cli-progress';

export interface Progress {
  tick(status: string): void;
  done(): void;
}

/** One redrawn line on a TTY; plain lines otherwise so CI logs stay readable. */
export function startProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} {status}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return { tick: (status) => bar.increment(1, { status }), done: () => bar.stop() };
  }
  let n = 0;
  return {
    tick: (status) => {
      n += 1;
      stream.write(`${label} ${n}/${total} ${status}\n`);
    },
    done: () => {},
  };
}
