// Log in, sign up (the server mails a six-digit code) and reset a forgotten password,
// with the API's own error text.
import { useState } from 'preact/hooks';

import { forgotPassword, login, signUp } from '../api';
import { Alert, Field } from '../ui';

type Mode = 'login' | 'signup' | 'forgot';

export function Login() {
  const [mode, setMode] = useState<Mode>('login');
  const [userName, setUserName] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [codeSent, setCodeSent] = useState(false);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const switchTo = (m: Mode) => {
    setMode(m);
    setCodeSent(false);
    setCode('');
    setError('');
    setNotice('');
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setNotice('');
    try {
      if (mode === 'login') {
        await login(userName, password);
      } else if (mode === 'signup') {
        if (!codeSent) {
          await signUp(userName, password);
          setCodeSent(true);
          setNotice('A verification code was sent to ' + userName + '.');
        } else {
          await signUp(userName, password, code);
          await login(userName, password);
        }
      } else if (!codeSent) {
        await forgotPassword(userName);
        setCodeSent(true);
        setNotice('A code to set a new password was sent to ' + userName + '.');
      } else {
        await forgotPassword(userName, password, code);
        await login(userName, password);
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const title = mode === 'login' ? 'Log in' : mode === 'signup' ? 'Sign up' : 'Reset your password';
  return (
    <main class="account">
      <h1>Stratus</h1>
      <form onSubmit={submit} aria-labelledby="account-title">
        <h2 id="account-title">{title}</h2>
        <Field label="E-mail" type="email" autocomplete="username" value={userName} onValue={setUserName} />
        {(mode !== 'forgot' || codeSent) && (
          <Field
            label={mode === 'forgot' ? 'New password' : 'Password'}
            type="password"
            autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onValue={setPassword}
          />
        )}
        {codeSent && (
          <Field
            label="Verification code"
            inputMode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            value={code}
            onValue={setCode}
          />
        )}
        <Alert message={error} />
        {notice && <p role="status">{notice}</p>}
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Log in' : codeSent ? 'Confirm' : mode === 'signup' ? 'Sign up' : 'Send code'}
        </button>
      </form>
      <p class="switch">
        {mode !== 'login' && (
          <button type="button" class="link" onClick={() => switchTo('login')}>
            Log in
          </button>
        )}
        {mode !== 'signup' && (
          <button type="button" class="link" onClick={() => switchTo('signup')}>
            Create an account
          </button>
        )}
        {mode !== 'forgot' && (
          <button type="button" class="link" onClick={() => switchTo('forgot')}>
            Forgot your password?
          </button>
        )}
      </p>
    </main>
  );
}
