/**
 * Prints a password hash for the callers list (CALLERS_FILE / CALLERS), in
 * a format src/callers/credentials/credentials/password-hash.ts reads: scrypt$N$r$p$salt$hash by
 * default, or bcrypt ($2b$, cost 12, @node-rs/bcrypt) with --bcrypt.
 *
 *   npm run -s hash-password                    # asks for the password, without echo
 *   printf %s 'secret' | npm run -s hash-password   # or reads it from standard input
 *   npm run -s hash-password -- --bcrypt        # a bcrypt hash instead
 *
 * The password is never taken as an argument: it would land in the shell's history.
 */
import { hashPassword, hashPasswordBcrypt } from '../src/callers/credentials/password-hash';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () =>
      resolve(
        Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r?\n$/, ''),
      ),
    );
    process.stdin.on('error', reject);
  });
}

/** Reads one line from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    process.stdin.setRawMode(true);
    process.stdin.resume();
    let typed = '';
    process.stdin.on('data', (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\u0003') process.exit(130); // Ctrl-C
        if (char === '\r' || char === '\n') {
          process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stderr.write('\n');
          return resolve(typed);
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--bcrypt');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown argument ${unknown[0]}; the only option is --bcrypt (the password is read, never an argument).\n`);
    process.exit(2);
  }
  const password = process.stdin.isTTY ? await prompt('Password: ') : await readStdin();
  if (password === '') {
    process.stderr.write('An empty password cannot be hashed.\n');
    process.exit(1);
  }
  const hashed = args.includes('--bcrypt') ? await hashPasswordBcrypt(password) : await hashPassword(password);
  process.stdout.write(`${hashed}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
