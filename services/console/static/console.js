// The live tail: while "live tail" is checked, fetch the newest page of the partition as a
// fragment every two seconds and put it in place of the rows. Nothing else needs script.
(function () {
  const rows = document.getElementById("rows");
  const live = document.getElementById("live");
  if (!rows || !live) return;
  let timer = null;
  function refresh() {
    const url = new URL(window.location.href);
    url.searchParams.set("anchor", "newest");
    url.searchParams.delete("at");
    url.searchParams.set("fragment", "1");
    fetch(url, { credentials: "same-origin" })
      .then((answer) => (answer.ok ? answer.text() : Promise.reject(answer.status)))
      .then((html) => { rows.innerHTML = html; })
      .catch(() => {});
  }
  function toggle() {
    if (live.checked && timer === null) { refresh(); timer = setInterval(refresh, 2000); }
    if (!live.checked && timer !== null) { clearInterval(timer); timer = null; }
  }
  live.addEventListener("change", toggle);
  toggle();
})();
