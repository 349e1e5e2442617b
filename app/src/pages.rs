//! The screens. Each renders completely on the server (routes use
//! `SsrMode::Async`), so forms work before hydration and without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::*;
use crate::components::*;

// ------------------------------------------------------------------ sign-in

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = error_signal(action);
    let email = NodeRef::new();
    focus_on_mount(email);
    view! {
        <Title text="Sign in · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Sign in"</h1>
            <Notice/>
            <ErrorBox message=error/>
            <ActionForm action=action>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required autofocus node_ref=email/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"/>
                </div>
                <Submit label="Sign in" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
fn CodeForm(method: &'static str, label: &'static str, hint: &'static str) -> impl IntoView {
    let action = ServerAction::<VerifyCode>::new();
    let error = error_signal(action);
    let (mode, pattern, max) = if method == "totp" {
        ("numeric", "[0-9 ]*", "7")
    } else {
        ("text", "[0-9A-Za-z \\-]*", "16")
    };
    let input = NodeRef::new();
    focus_on_mount(input);
    view! {
        <ErrorBox message=error/>
        <ActionForm action=action>
            <input type="hidden" name="method" value=method/>
            <div class="field">
                <label for="code">{label}</label>
                <p class="hint" id="code-hint">{hint}</p>
                <input id="code" name="code" type="text" inputmode=mode pattern=pattern maxlength=max
                    autocomplete="one-time-code" aria-describedby="code-hint" required autofocus node_ref=input/>
            </div>
            <Submit label="Verify" pending=action.pending()/>
        </ActionForm>
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    view! {
        <Title text="Two-step verification · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Two-step verification"</h1>
            <p>"Open your authenticator app and enter the 6-digit code it shows for Gatehouse."</p>
            <CodeForm method="totp" label="Authentication code" hint="6 digits, for example 123456."/>
            <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
        </section>
    }
}

#[component]
pub fn OtherMethodsPage() -> impl IntoView {
    let send = ServerAction::<SendChallenge>::new();
    let error = error_signal(send);
    let has_phone = Resource::new(|| (), |_| sign_in_options());
    view! {
        <Title text="Try another method · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Try another method"</h1>
            <p>"Lost your phone or can’t use your authenticator app? Choose another way to prove it’s you."</p>
            <Notice/>
            <ErrorBox message=error/>
            <ul class="methods">
                <li>
                    <ActionForm action=send>
                        <input type="hidden" name="method" value="email_link"/>
                        <button type="submit" class="method" aria-describedby="link-hint">
                            <strong>"Email me a sign-in link"</strong>
                        </button>
                        <span class="hint" id="link-hint">"Open it in this browser. You then set up your authenticator again."</span>
                    </ActionForm>
                </li>
                <li>
                    <ActionForm action=send>
                        <input type="hidden" name="method" value="email_otp"/>
                        <button type="submit" class="method" aria-describedby="code-hint">
                            <strong>"Email me a code"</strong>
                        </button>
                        <span class="hint" id="code-hint">"A 6-digit code, valid for 10 minutes. You then set up your authenticator again."</span>
                    </ActionForm>
                </li>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        has_phone.await.unwrap_or(false).then(|| view! {
                            <li>
                                <ActionForm action=send>
                                    <input type="hidden" name="method" value="sms_otp"/>
                                    <button type="submit" class="method" aria-describedby="sms-hint">
                                        <strong>"Text me a code"</strong>
                                    </button>
                                    <span class="hint" id="sms-hint">"A 6-digit code to your verified phone, valid for 10 minutes."</span>
                                </ActionForm>
                            </li>
                        })
                    })}
                </Suspense>
                <li>
                    <Form method="GET" action="/login/recovery">
                        <button type="submit" class="method" aria-describedby="recovery-hint">
                            <strong>"Use a recovery code"</strong>
                        </button>
                        <span class="hint" id="recovery-hint">"One of the 10 codes you saved when you set up two-step verification."</span>
                    </Form>
                </li>
            </ul>
            <p class="alt-link"><a href="/login/mfa">"Back to the authenticator code"</a></p>
            <p class="hint">"None of these work? Ask your administrator or your IT provider to reset your multi-factor authentication."</p>
        </section>
    }
}

/// A code sent by email or text message: "Code", "Verify", and "Send again" after the resend wait.
#[component]
pub fn MessageCodePage() -> impl IntoView {
    let query = use_query_map();
    let by_sms = query.read_untracked().get("method").as_deref() == Some("sms_otp");
    let (method, heading, sent_to) = if by_sms {
        (
            "sms_otp",
            "Check your phone",
            "We texted a 6-digit code to your verified phone. It works once, for 10 minutes.",
        )
    } else {
        ("email_otp", "Check your email", "We sent a 6-digit code to the email address of your account. It works once, for 10 minutes.")
    };
    let resend = ServerAction::<SendChallenge>::new();
    let resend_error = error_signal(resend);
    let wait = RwSignal::new(30_i64);
    // Counts down in the browser only (the server renders the full wait), so hydration matches.
    Effect::new(move || {
        resend.version().get();
        wait.set(30);
        let handle = set_interval_with_handle(
            move || wait.update(|w| *w = (*w - 1).max(0)),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <Title text="Enter the code · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">{heading}</h1>
            <Notice/>
            <p>{sent_to}</p>
            <CodeForm method=method label="Code" hint="6 digits."/>
            <ErrorBox message=resend_error/>
            <ActionForm action=resend>
                <input type="hidden" name="method" value=method/>
                <button type="submit" class="button secondary" disabled=move || resend.pending().get()>"Send again"</button>
                <span class="hint" aria-live="polite">
                    {move || match wait.get() {
                        0 => "You can ask for a new code now; it replaces the old one.".to_string(),
                        n => format!("You can ask for a new code in {n} seconds."),
                    }}
                </span>
            </ActionForm>
            <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
        </section>
    }
}

/// Where the emailed link lands. Opening it changes nothing (mail scanners
/// follow links); only the button, a POST, completes the sign-in.
#[component]
pub fn SignInLinkPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let status = Resource::new(token, link_status);
    let action = ServerAction::<CompleteLink>::new();
    let error = error_signal(action);
    view! {
        <Title text="Continue sign-in · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Continue sign-in"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(true) => view! {
                            <p>"Press the button to continue signing in here. You will then set up a new authenticator app."</p>
                            <ErrorBox message=error/>
                            <ActionForm action=action>
                                <input type="hidden" name="token" value=token()/>
                                <Submit label="Continue sign-in" pending=action.pending()/>
                            </ActionForm>
                        }.into_any(),
                        _ => view! {
                            <p class="alert error" role="alert">{message_for("link_invalid")}</p>
                            <p><a href="/login">"Sign in again"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn RecoveryPage() -> impl IntoView {
    view! {
        <Title text="Use a recovery code · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Use a recovery code"</h1>
            <p>"Each recovery code works once. After signing in, set up your authenticator again or generate new codes."</p>
            <CodeForm method="recovery_code" label="Recovery code" hint="12 characters, like ABCD-EFGH-JKMN. Dashes are optional."/>
            <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
        </section>
    }
}

// ------------------------------------------------------------- enrollment

#[component]
pub fn EnrollPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| enrollment());
    view! {
        <Title text="Set up your authenticator · Gatehouse"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <EnrollView view/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EnrollView(view: EnrollmentView) -> impl IntoView {
    let action = ServerAction::<ConfirmEnrollment>::new();
    let error = error_signal(action);

    view! {
        {match view.me.clone() {
            Some(me) => view! { <SignedInHeader me/> }.into_any(),
            None => view! { <PublicHeader/> }.into_any(),
        }}
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Set up your authenticator app"</h1>
            {view.reason.as_deref().map(|reason| {
                let text = match reason {
                    "recovery" => "You signed in with your email. Set up your authenticator app again to finish: your old authenticator and recovery codes stop working.",
                    "reset_permission" => "You are resetting your multi-factor authentication. Set up your new authenticator app to finish: your old authenticators and recovery codes stop working, and you get new recovery codes.",
                    _ => "Your organization requires two-step verification. Set it up now to finish signing in.",
                };
                view! { <p class="alert info">{text}</p> }
            })}
            <ol class="steps">
                <li>
                    <h2>"Install an authenticator app"</h2>
                    <p>"Google Authenticator, Microsoft Authenticator, Authy and 1Password all work."</p>
                </li>
                <li>
                    <h2>"Scan this QR code"</h2>
                    <img class="qr" src=view.qr_data_uri alt="QR code for your authenticator app" width="200" height="200"/>
                    <p>"Can’t scan it? Add an account by hand with this key (time-based) for "<strong>{view.account}</strong>":"</p>
                    <p><code class="secret" id="secret" aria-label="Setup key">{view.secret_display}</code></p>
                </li>
                <li>
                    <h2>"Enter the code the app shows"</h2>
                    <ErrorBox message=error/>
                    <ActionForm action=action>
                        <div class="field">
                            <label for="code">"Authentication code"</label>
                            <input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]*" maxlength="7"
                                autocomplete="one-time-code" required/>
                        </div>
                        <Submit label="Verify" pending=action.pending()/>
                    </ActionForm>
                </li>
            </ol>
        </section>
    }
}

#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| fresh_codes());
    view! {
        <Title text="Your recovery codes · Gatehouse"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <CodesView view/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CodesView(view: CodesView) -> impl IntoView {
    let action = ServerAction::<AcknowledgeCodes>::new();
    let error = error_signal(action);
    view! {
        <SignedInHeader me=view.me/>
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Save your recovery codes"</h1>
            <p>"If you lose your phone, each of these codes lets you sign in once. Store them in a password manager or print them. "
               <strong>"They will not be shown again."</strong></p>
            <ol class="codes" aria-label="Recovery codes">
                {view.codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
            <p>
                <a class="button secondary" role="button" href=view.download_href download="gatehouse-recovery-codes.txt">"Download"</a>
            </p>
            <ErrorBox message=error/>
            <ActionForm action=action>
                <div class="check">
                    <input id="saved" name="saved" type="checkbox" value="yes" required/>
                    <label for="saved">"I have saved my recovery codes"</label>
                </div>
                <Submit label="Continue" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

// ------------------------------------------------------------ signed in

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| current_me());
    let query = use_query_map();
    view! {
        <Title text="Home · Gatehouse"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let codes_left = query.read_untracked().get("codes_left").and_then(|n| n.parse::<i64>().ok());
                match data.await {
                    Ok(me) => view! { <HomeView me codes_left/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn HomeView(me: Me, codes_left: Option<i64>) -> impl IntoView {
    let low = codes_left.filter(|n| *n <= gatehouse_low_watermark());
    let greeting = if me.name.is_empty() {
        me.email.clone()
    } else {
        me.name.clone()
    };
    view! {
        <SignedInHeader me=me.clone()/>
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Welcome, " {greeting}</h1>
            {low.map(|n| view! {
                <p class="alert warning" role="alert">
                    {format!("You signed in with a recovery code. Only {n} recovery codes are left: ")}
                    <a href="/profile">"generate new codes"</a>" or set up your authenticator again."
                </p>
            })}
            <dl class="facts">
                <dt>"Organization"</dt><dd>{me.organization}</dd>
                <dt>"Role"</dt><dd>{me.role}</dd>
                <dt>"Two-step verification"</dt>
                <dd>{if me.mfa_on { "On" } else { "Off" }}</dd>
            </dl>
            <p><a class="button" href="/profile">"Manage your sign-in methods"</a></p>
        </section>
    }
}

/// Warn at or below this many recovery codes (mirrors `gatehouse_core::rules::recovery::LOW_WATERMARK`,
/// which the browser bundle cannot depend on).
fn gatehouse_low_watermark() -> i64 {
    3
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let regenerate = ServerAction::<RegenerateCodes>::new();
    let remove = ServerAction::<RemoveFactor>::new();
    let add = ServerAction::<AddFactor>::new();
    let data = Resource::new(move || remove.version().get(), |_| profile());
    view! {
        <Title text="My Profile · Gatehouse"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <ProfileView view regenerate remove add/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileView(
    view: ProfileView,
    regenerate: ServerAction<RegenerateCodes>,
    remove: ServerAction<RemoveFactor>,
    add: ServerAction<AddFactor>,
) -> impl IntoView {
    let me = view.me.clone();
    let add_error = error_signal(add);
    let low = me.mfa_on && me.recovery_codes_left <= gatehouse_low_watermark();
    let query = use_query_map();
    let confirm = Memo::new(move |_| query.read().get("confirm").unwrap_or_default());
    let factor = Memo::new(move |_| {
        query
            .read()
            .get("factor")
            .and_then(|id| id.parse::<i64>().ok())
    });
    let factors = view.factors.clone();
    let mfa_required = view.mfa_required;
    let remove_dialog = move || {
        if confirm.get() != "remove_factor" {
            return None;
        }
        let f = factors.iter().find(|f| Some(f.id) == factor.get())?.clone();
        let last = factors.len() == 1;
        Some(view! { <RemoveFactorDialog factor=f last mfa_required action=remove/> })
    };
    let regenerate_dialog = move || {
        (confirm.get() == "regenerate_codes")
            .then(|| view! { <RegenerateCodesDialog action=regenerate/> })
    };
    view! {
        <SignedInHeader me=me.clone()/>
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"My Profile"</h1>
            <Notice/>
            <dl class="facts">
                <dt>"Email"</dt><dd>{me.email.clone()}</dd>
                <dt>"Organization"</dt><dd>{me.organization.clone()}</dd>
                <dt>"Role"</dt><dd>{me.role.clone()}</dd>
            </dl>
        </section>

        <section class="card" aria-labelledby="mfa-title">
            <h2 id="mfa-title">"Two-step verification"</h2>
            {(view.mfa_required && !me.mfa_on).then(|| view! {
                <p class="alert warning">"Your role requires two-step verification. You will be asked to set it up at your next sign-in."</p>
            })}
            {remove_dialog}
            {if view.factors.is_empty() {
                view! { <p>"Two-step verification is off. Add an authenticator app to protect your account."</p> }.into_any()
            } else {
                view! {
                    <table class="factors">
                        <caption class="visually-hidden">"Your authenticators"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Added"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {view.factors.into_iter().map(|f| {
                                let name = format!("Remove {}", f.label);
                                view! {
                                    <tr>
                                        <td>{f.label.clone()}</td>
                                        <td>{f.added}</td>
                                        <td>{f.last_used.unwrap_or_else(|| "Never".into())}</td>
                                        <td>
                                            <Form method="GET" action="/profile">
                                                <input type="hidden" name="confirm" value="remove_factor"/>
                                                <input type="hidden" name="factor" value=f.id.to_string()/>
                                                <button type="submit" class="button danger small" aria-label=name>"Remove"</button>
                                            </Form>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <ErrorBox message=add_error/>
            <ActionForm action=add>
                <Submit label="Add an authenticator app" pending=add.pending() class="secondary"/>
            </ActionForm>
        </section>

        {me.mfa_on.then(|| view! {
            <section class="card" aria-labelledby="codes-title">
                <h2 id="codes-title">"Recovery codes"</h2>
                <p class=if low { "alert warning" } else { "" }>
                    {format!("{} of 10 recovery codes left.", me.recovery_codes_left)}
                    {low.then_some(" Generate new codes soon.")}
                </p>
                <p class="hint">"Generating new codes makes every old code stop working."</p>
                {regenerate_dialog}
                <Form method="GET" action="/profile">
                    <input type="hidden" name="confirm" value="regenerate_codes"/>
                    <button type="submit" class="button secondary">"Generate new codes"</button>
                </Form>
            </section>
        })}

        <PhoneSection phone=view.phone pending=view.pending_phone/>

        <ResetSection/>
    }
}

/// "Remove" of one authenticator: says what happens, or why the last one of
/// a role that requires MFA stays (the service refuses it too).
#[component]
fn RemoveFactorDialog(
    factor: FactorView,
    last: bool,
    mfa_required: bool,
    action: ServerAction<RemoveFactor>,
) -> impl IntoView {
    let title = format!("Remove “{}”?", factor.label);
    if last && mfa_required {
        let close = NodeRef::<leptos::html::A>::new();
        focus_on_mount(close);
        return view! {
            <Dialog title text=message_for("last_factor").to_string()>
                <a href="/profile" class="button secondary" node_ref=close>"Close"</a>
            </Dialog>
        }
        .into_any();
    }
    let text = if last {
        "It is your only authenticator: two-step verification turns off and your recovery codes stop working. Your other sessions will be signed out."
    } else {
        "It stops working for signing in. Your other sessions will be signed out, and apps must sign in again."
    };
    view! {
        <Dialog title text=text.to_string()>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <input type="hidden" name="factor_id" value=factor.id.to_string()/>
                <DialogActions pending=action.pending() cancel="/profile".to_string() danger=true/>
            </ActionForm>
        </Dialog>
    }
    .into_any()
}

#[component]
fn RegenerateCodesDialog(action: ServerAction<RegenerateCodes>) -> impl IntoView {
    view! {
        <Dialog
            title="Generate new recovery codes?".to_string()
            text="Your current codes stop working. You will see the new codes once: save them before you continue.".to_string()
        >
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <DialogActions pending=action.pending() cancel="/profile".to_string()/>
            </ActionForm>
        </Dialog>
    }
}

/// A phone for SMS codes: a backup, with its risks said plainly.
#[component]
fn PhoneSection(phone: Option<String>, pending: Option<String>) -> impl IntoView {
    let start = ServerAction::<StartPhone>::new();
    let verify = ServerAction::<VerifyPhone>::new();
    let remove = ServerAction::<RemovePhone>::new();
    let start_error = error_signal(start);
    let verify_error = error_signal(verify);
    let remove_error = error_signal(remove);
    let has_phone = phone.is_some();
    view! {
        <section class="card" aria-labelledby="phone-title">
            <h2 id="phone-title">"Text message (SMS) backup"</h2>
            <p class="hint">"Codes by text message are a fallback when your authenticator app is not at hand. They are weaker: a SIM swap or an intercepted message can hand them to someone else. An authenticator app is safer; keep SMS as a backup only."</p>
            {phone.map(|number| view! {
                <p>"Sign-in codes go to " <strong>{number}</strong> "."</p>
                <ErrorBox message=remove_error/>
                <ActionForm action=remove>
                    <button type="submit" class="button danger small">"Remove phone number"</button>
                </ActionForm>
            })}
            {pending.map(|number| view! {
                <ErrorBox message=verify_error/>
                <ActionForm action=verify>
                    <div class="field">
                        <label for="phone-code">"Verification code"</label>
                        <p class="hint" id="phone-code-hint">{format!("The 6-digit code we texted to {number}.")}</p>
                        <input id="phone-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                            aria-describedby="phone-code-hint" required/>
                    </div>
                    <Submit label="Verify phone" pending=verify.pending()/>
                </ActionForm>
            })}
            <ErrorBox message=start_error/>
            <ActionForm action=start>
                <div class="field">
                    <label for="phone">{if has_phone { "New phone number" } else { "Phone number" }}</label>
                    <p class="hint" id="phone-hint">"With the country code, for example +44 7700 900123."</p>
                    <input id="phone" name="phone" type="tel" autocomplete="tel" aria-describedby="phone-hint" required/>
                </div>
                <Submit label="Send verification code" pending=start.pending() class="secondary"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn ResetSection() -> impl IntoView {
    let action = ServerAction::<ResetMfa>::new();
    let error = error_signal(action);
    let query = use_query_map();
    let confirming = move || query.read().get("reset").is_some() || action.value().get().is_some();
    let reset_input = NodeRef::new();
    focus_on_mount(reset_input);
    view! {
        <section class="card danger-zone" aria-labelledby="reset-title">
            <h2 id="reset-title">"Reset multi-factor authentication"</h2>
            <p>"Removes every authenticator and recovery code, and signs you out everywhere. The next time you sign in, you set up a new authenticator."</p>
            <Show
                when=confirming
                fallback=|| view! {
                    <Form method="GET" action="/profile">
                        <input type="hidden" name="reset" value="1"/>
                        <button type="submit" class="button danger">"Reset My Multi-Factor Authentication"</button>
                    </Form>
                }
            >
                <ErrorBox message=error/>
                <ActionForm action=action>
                    <div class="field">
                        <label for="reset-password">"Password"</label>
                        <p class="hint" id="reset-hint">"Enter your password to confirm."</p>
                        <input id="reset-password" name="password" type="password" autocomplete="current-password" aria-describedby="reset-hint" required autofocus node_ref=reset_input/>
                    </div>
                    <Submit label="Reset" pending=action.pending() class="danger"/>
                    " "<a href="/profile">"Cancel"</a>
                </ActionForm>
            </Show>
        </section>
    }
}

#[component]
pub fn ConfirmIdentityPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| current_me());
    let query = use_query_map();
    view! {
        <Title text="Confirm it’s you · Gatehouse"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let next = query.read_untracked().get("next").unwrap_or_else(|| "/profile".into());
                match data.await {
                    Ok(me) => view! { <ConfirmIdentityView me next/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConfirmIdentityView(me: Me, next: String) -> impl IntoView {
    let action = ServerAction::<ConfirmIdentity>::new();
    let error = error_signal(action);
    let needs_code = me.mfa_on;
    let password = NodeRef::new();
    focus_on_mount(password);
    view! {
        <SignedInHeader me/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Confirm it’s you"</h1>
            <p>"Changing how you sign in needs a recent sign-in. Enter your password"
               {needs_code.then_some(" and a code from your authenticator app")}"."</p>
            <ErrorBox message=error/>
            <ActionForm action=action>
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required autofocus node_ref=password/>
                </div>
                {needs_code.then(|| view! {
                    <div class="field">
                        <label for="code">"Authentication code"</label>
                        <p class="hint" id="code-hint">"Or one of your recovery codes."</p>
                        <input id="code" name="code" type="text" autocomplete="one-time-code" aria-describedby="code-hint" required/>
                    </div>
                })}
                <Submit label="Confirm" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Gatehouse"/>
        <PublicHeader/>
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p><a href="/">"Go to the start page"</a></p>
        </section>
    }
}
