// HearthNet dashboard: browser notifications through the service worker, and a sound for
// emergencies when this browser asked for one (off by default).
const HN_SOUND = "hn-emergency-sound";
const HN_QUIET_MS = 30000; // one alarm per half minute, however many emergencies are posted
let hnLastAlarm = -HN_QUIET_MS;

window.hnNotify = async function (title, body, tag, urgent) {
  if (urgent && localStorage.getItem(HN_SOUND) === "on" && performance.now() - hnLastAlarm > HN_QUIET_MS) {
    hnLastAlarm = performance.now();
    hnAlarm();
  }
  if (!urgent && !document.hidden) return; // the toast on the page says it already
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const registration = await navigator.serviceWorker.ready;
  await registration.showNotification(title, {
    body, tag, icon: "/icon.svg", requireInteraction: urgent, data: { url: location.pathname },
  });
};

window.hnAlarm = function () {
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  const volume = audio.createGain();
  tone.type = "square";
  tone.frequency.setValueAtTime(880, audio.currentTime);
  tone.frequency.setValueAtTime(660, audio.currentTime + 0.25);
  tone.frequency.setValueAtTime(880, audio.currentTime + 0.5);
  volume.gain.setValueAtTime(0.2, audio.currentTime);
  tone.connect(volume).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.75);
};

window.hnNotificationState = function () {
  return "Notification" in window ? Notification.permission : "unsupported";
};

window.hnAskForNotifications = async function () {
  return "Notification" in window ? await Notification.requestPermission() : "unsupported";
};

window.hnSoundOn = function () {
  return localStorage.getItem(HN_SOUND) === "on";
};

window.hnSetSound = function (on) {
  localStorage.setItem(HN_SOUND, on ? "on" : "off");
};
